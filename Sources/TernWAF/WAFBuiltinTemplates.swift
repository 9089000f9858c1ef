/// Built-in copies of Tern's `Config/modsecurity/*.template` files, used when
/// ``WAFSettings/configDirectory`` is `nil`. `WAFConfigurationTests` checks they equal the shipped files:
/// edit the files, then paste them here.
enum WAFBuiltinTemplates {
    /// `Config/modsecurity/modsecurity.conf.template`.
    static let mainConfiguration = #"""
# Tern's ModSecurity v3 (libmodsecurity3) engine configuration.
#
# TernWAF renders this template once per rule set, then loads crs-setup.conf.template, the operator's
# REQUEST-900 exclusion file (if present), the CRS rules, the operator's RESPONSE-999 file (if present)
# and Tern's per-route exclusions, in that order. Placeholders `{{NAME}}` are filled from Tern's `waf:`
# configuration; everything else is fixed here on purpose.
#
# Debian's /etc/modsecurity/modsecurity.conf-recommended belongs to ModSecurity v2 and libmodsecurity3
# refuses it (SecRequestBodyInMemoryLimit is gone in v3): do not include it.
#
# Per-route modes (on / detection_only / off) are applied by Tern per transaction, so the engine always
# runs `On`; in detection_only Tern records the intervention and lets the request through.
SecRuleEngine On

# -- Request bodies -------------------------------------------------------------------------------
SecRequestBodyAccess On

# XML and JSON bodies get their own processors so CRS sees their fields as ARGS.
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" \
    "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" \
    "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"

# Tern buffers the body up to this limit before the WAF sees it (waf.request_body_limit).
SecRequestBodyLimit {{REQUEST_BODY_LIMIT}}
SecRequestBodyNoFilesLimit {{REQUEST_BODY_LIMIT}}
# Reject | ProcessPartial (waf.body_limit_action).
SecRequestBodyLimitAction {{REQUEST_BODY_LIMIT_ACTION}}

# A body that its declared processor cannot parse is refused: otherwise CRS would inspect nothing.
SecRule REQBODY_ERROR "!@eq 0" \
    "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" \
    "id:200003,phase:2,t:none,log,deny,status:400,\
    msg:'Multipart request body failed strict validation: \
    PE %{REQBODY_PROCESSOR_ERROR}, \
    BQ %{MULTIPART_BOUNDARY_QUOTED}, \
    BW %{MULTIPART_BOUNDARY_WHITESPACE}, \
    DB %{MULTIPART_DATA_BEFORE}, \
    DA %{MULTIPART_DATA_AFTER}, \
    HF %{MULTIPART_HEADER_FOLDING}, \
    LF %{MULTIPART_LF_LINE}, \
    SM %{MULTIPART_MISSING_SEMICOLON}, \
    IQ %{MULTIPART_INVALID_QUOTING}, \
    IP %{MULTIPART_INVALID_PART}, \
    IH %{MULTIPART_INVALID_HEADER_FOLDING}, \
    FL %{MULTIPART_FILE_LIMIT_EXCEEDED}'"
SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" \
    "id:200004,phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'"

# Bound the regular-expression engine (ReDoS guard).
SecPcreMatchLimit 1000
SecPcreMatchLimitRecursion 1000

# -- Responses ------------------------------------------------------------------------------------
# Response headers (phase 3) are inspected when Tern calls inspectResponse; bodies only when
# waf.inspect_response_body is on (off by default: it costs a full buffer of every HTML response).
SecResponseBodyAccess {{RESPONSE_BODY_ACCESS}}
SecResponseBodyMimeType text/plain text/html text/xml
SecResponseBodyLimit 524288
SecResponseBodyLimitAction ProcessPartial

# -- Files and logs -------------------------------------------------------------------------------
SecTmpDir /tmp/
SecDataDir /tmp/
# Tern writes its own JSON-lines WAF audit log (waf.audit_log); the engine's own audit log stays off.
SecAuditEngine Off
SecArgumentSeparator &
SecCookieFormat 0
SecStatusEngine Off

"""#

    /// `Config/modsecurity/crs-setup.conf.template`.
    static let crsSetup = #"""
# Tern's OWASP CRS 3.3.4 setup, rendered by TernWAF in place of /etc/modsecurity/crs/crs-setup.conf.
# Placeholders `{{NAME}}` come from Tern's `waf:` configuration. Operator rule exclusions belong in
# <crs_setup_directory>/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf and RESPONSE-999-…-AFTER-CRS.conf,
# which Tern loads around the CRS rules when they exist; per-route exclusions belong in Tern's config.

# Anomaly scoring mode: every rule only adds to the score; 949110 (requests) and 959100 (responses)
# take the blocking decision.
SecDefaultAction "phase:1,log,auditlog,pass"
SecDefaultAction "phase:2,log,auditlog,pass"

SecCollectionTimeout 600

# waf.paranoia_level (1-4).
SecAction \
    "id:900000,\
    phase:1,\
    nolog,\
    pass,\
    t:none,\
    setvar:tx.paranoia_level={{PARANOIA_LEVEL}}"

# waf.inbound_anomaly_threshold / waf.outbound_anomaly_threshold.
SecAction \
    "id:900110,\
    phase:1,\
    nolog,\
    pass,\
    t:none,\
    setvar:tx.inbound_anomaly_score_threshold={{INBOUND_ANOMALY_THRESHOLD}},\
    setvar:tx.outbound_anomaly_score_threshold={{OUTBOUND_ANOMALY_THRESHOLD}}"

# CRS refuses to run without this marker (rule 901001).
SecAction \
    "id:900990,\
    phase:1,\
    nolog,\
    pass,\
    t:none,\
    setvar:tx.crs_setup_version=334"

"""#
}

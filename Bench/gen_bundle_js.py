#!/usr/bin/env python3
"""Bench/gen_bundle_js.py SIZE OUT — writes a deterministic, JavaScript-like bundle of exactly SIZE bytes.

The shape of a webpack/rollup development bundle: numbered module wrappers, JSDoc comments, classes
with methods, string tables, small arrow functions, error messages, option objects. Identifiers,
literals and numbers come from a seeded PRNG over a realistic vocabulary, so the text compresses like
real unminified application code (gzip -6 ≈ 4.5–5×), not like a repeated block (≫ 10×) or random
bytes (1×). Standard library only; same SIZE → same bytes on every machine.
"""
import random
import sys

WORDS = ("user account session token request response header body cache entry item list map set value key "
         "index count total offset limit page size width height color style theme layout view model state "
         "store action event handler listener callback promise result error message status code type name "
         "label title text content node element parent child root tree path route query param option config "
         "setting flag mode level timeout interval delay retry attempt buffer stream chunk frame queue task "
         "job worker pool client server socket channel connection pending active visible enabled selected").split()
VERBS = "get set update create delete fetch load save parse format render handle resolve reject validate build apply reset init".split()
TYPES = "string number boolean Object Array Promise Map Set Function Date".split()


def camel(rng, n=2):
    parts = [rng.choice(VERBS if i == 0 and rng.random() < 0.6 else WORDS) for i in range(n)]
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def pascal(rng, n=2):
    return "".join(rng.choice(WORDS).capitalize() for _ in range(n))


def literal(rng):
    r = rng.random()
    if r < 0.35:
        return repr(rng.randint(0, 5000))
    if r < 0.55:
        return "'" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) + "'"
    if r < 0.7:
        return rng.choice(["true", "false", "null", "undefined"])
    if r < 0.85:
        return "this." + camel(rng, 1 + rng.randint(0, 1))
    return camel(rng, 2) + "(" + camel(rng, 1) + ")"


def statement(rng, depth):
    r = rng.random()
    v = camel(rng, rng.randint(1, 2))
    ind = "  " * depth
    if r < 0.25:
        return f"{ind}const {v} = {literal(rng)};\n"
    if r < 0.4:
        return f"{ind}this.{v} = {literal(rng)};\n"
    if r < 0.55 and depth < 4:
        body = "".join(statement(rng, depth + 1) for _ in range(rng.randint(1, 3)))
        return f"{ind}if ({v} {rng.choice(['===', '!==', '>', '<='])} {literal(rng)}) {{\n{body}{ind}}}\n"
    if r < 0.65:
        return (f"{ind}if (!{v}) {{\n{ind}  throw new {rng.choice(['TypeError', 'RangeError', 'Error'])}"
                f"('{camel(rng, 2)}: expected {rng.choice(TYPES)} for {rng.choice(WORDS)} {rng.choice(WORDS)}');\n{ind}}}\n")
    if r < 0.75 and depth < 4:
        body = "".join(statement(rng, depth + 1) for _ in range(rng.randint(1, 2)))
        return f"{ind}for (let i = 0; i < {v}.length; i++) {{\n{body}{ind}}}\n"
    if r < 0.85:
        return f"{ind}{v}.{camel(rng, 1)}(({rng.choice(WORDS)}) => {rng.choice(WORDS)}.{camel(rng, 1)} {rng.choice(['+', '-', '*', '&&', '||'])} {literal(rng)});\n"
    return f"{ind}return {literal(rng)};\n"


def method(rng):
    name = camel(rng, rng.randint(1, 3))
    args = [camel(rng, 1) for _ in range(rng.randint(0, 3))]
    doc = "  /**\n   * " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize() + ".\n"
    for a in args:
        doc += f"   * @param {{{rng.choice(TYPES)}}} {a} - the {rng.choice(WORDS)} {rng.choice(WORDS)}\n"
    doc += f"   * @returns {{{rng.choice(TYPES)}}}\n   */\n"
    body = "".join(statement(rng, 2) for _ in range(rng.randint(2, 6)))
    return f"{doc}  {name}({', '.join(args)}) {{\n{body}  }}\n\n"


def module(rng, number):
    cls = pascal(rng, rng.randint(1, 3))
    out = [f"/***/ \"./src/{rng.choice(WORDS)}/{cls}.js\":\n",
           "/*!**************************************!*\\\n",
           f"  !*** ./src/{rng.choice(WORDS)}/{cls}.js ***!\n",
           "  \\**************************************/\n",
           "/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {\n\n",
           "\"use strict\";\n",
           f"__webpack_require__.r(__webpack_exports__);\n",
           f"/* harmony export */ __webpack_require__.d(__webpack_exports__, {{\n",
           f"/* harmony export */   \"{cls}\": () => (/* binding */ {cls})\n/* harmony export */ }});\n",
           f"/* harmony import */ var _{rng.choice(WORDS)}_js__WEBPACK_IMPORTED_MODULE_0__ = "
           f"__webpack_require__(/*! ./{rng.choice(WORDS)}.js */ \"./src/{rng.choice(WORDS)}.js\");\n\n",
           f"const DEFAULTS = {{\n"]
    for _ in range(rng.randint(2, 6)):
        out.append(f"  {camel(rng, rng.randint(1, 2))}: {literal(rng)},\n")
    out.append("};\n\n")
    out.append(f"class {cls} {{\n  constructor(options = {{}}) {{\n    this.options = {{ ...DEFAULTS, ...options }};\n")
    for _ in range(rng.randint(1, 4)):
        out.append(f"    this.{camel(rng, 1)} = {literal(rng)};\n")
    out.append("  }\n\n")
    for _ in range(rng.randint(2, 6)):
        out.append(method(rng))
    out.append("}\n\n\n/***/ }),\n\n")
    return "".join(out)


def main():
    size, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261127)
    text = "/******/ (() => { // webpackBootstrap\n/******/ \tvar __webpack_modules__ = ({\n\n"
    n = 0
    while len(text.encode()) < size:
        text += module(rng, n)
        n += 1
    data = text.encode()[:size]
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()

// Fetches the sample JSON and reports what the file origin sent back.
const status = document.getElementById("status");

async function main() {
  const response = await fetch("/data/sample.json");
  const data = await response.json();
  const etag = response.headers.get("ETag") ?? "(none)";
  status.textContent = `Loaded ${data.name} v${data.version}; ETag ${etag}.`;
  status.className = "ok";
}

main().catch((error) => {
  status.textContent = `Could not load /data/sample.json: ${error}`;
});

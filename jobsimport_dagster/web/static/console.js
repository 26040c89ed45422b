// The console's only script, and nothing needs it: the pages work without it.
// On an import's page it refreshes the bar and counters while a run is in flight (from
// /api/imports/<key>, every 2 s) and reloads the page once the run has ended; on the upload
// page it lets a file be dropped onto the form.
(function () {
  "use strict";
  var FINISHED = ["SUCCESS", "FAILURE", "CANCELED"];
  var LIVE = ["queued", "processing"];

  function follow(section) {
    var url = "/api/imports/" + encodeURIComponent(section.dataset.key);
    var bar = document.getElementById("progress");
    function field(name, value) {
      var el = section.querySelector('[data-field="' + name + '"]');
      if (el) { el.textContent = value; }
    }
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (info) {
          if (!info) { return setTimeout(tick, 4000); }
          bar.max = info.total_rows || 1;
          bar.value = info.processed_rows;
          ["total_rows", "success_rows", "failed_rows", "skipped_rows", "left_rows"].forEach(
            function (name) { field(name, info[name]); });
          field("progress_text", info.processed_rows + " of " + info.total_rows + " rows done");
          field("status", info.status);
          var run = info.latest_run;
          if (run) { field("run_status", run.status); }
          var live = LIVE.indexOf(info.status) >= 0 || (run && FINISHED.indexOf(run.status) < 0);
          if (live) { setTimeout(tick, 2000); } else { window.location.reload(); }
        })
        .catch(function () { setTimeout(tick, 4000); });
    }
    setTimeout(tick, 2000);
  }

  function dropzone(zone) {
    var input = document.getElementById("file");
    var name = document.getElementById("drop-name");
    function show() { name.textContent = input.files.length ? input.files[0].name : ""; }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
    input.addEventListener("change", show);
  }

  var section = document.getElementById("import");
  if (section && section.dataset.live === "true") { follow(section); }
  var zone = document.getElementById("drop");
  if (zone) { dropzone(zone); }
})();

// Drag and drop onto the upload area fills the file picker; the form still posts without this.
document.addEventListener("DOMContentLoaded", function () {
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("files");
  if (!zone || !input) return;
  ["dragenter", "dragover"].forEach(function (ev) {
    zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (ev) {
    zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    input.files = e.dataTransfer.files;
    var names = document.getElementById("chosen");
    if (names) names.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join("、");
  });
});

// Sverka workspace: keyboard shortcuts and the split helper. Every page works without this file.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
  }

  // --- queue: j/k move, o/Enter open, c confirm the selected line's top suggestion ---
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-nav-item]"));
  var current = -1;

  function select(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem("sverka.queue.row", rows[current].id); } catch (e) { /* storage off */ }
  }

  if (rows.length) {
    var remembered = null;
    try { remembered = sessionStorage.getItem("sverka.queue.row"); } catch (e) { /* storage off */ }
    var start = rows.findIndex(function (row) { return row.id === remembered; });
    select(start >= 0 ? start : 0);
    rows.forEach(function (row, i) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, select, form")) return;
        if (current === i) { window.location.href = row.dataset.href; } else { select(i); }
      });
    });
  }

  function submitTopConfirm(scope) {
    var form = scope.querySelector("form[data-confirm-top]");
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    var dialog = document.getElementById("shortcuts");
    if (key === "?") { if (dialog && dialog.showModal) dialog.showModal(); event.preventDefault(); return; }
    if (rows.length) {
      if (key === "j") { select(current + 1); event.preventDefault(); return; }
      if (key === "k") { select(current - 1); event.preventDefault(); return; }
      if ((key === "o" || key === "Enter") && current >= 0) { window.location.href = rows[current].dataset.href; return; }
      if (key === "c" && current >= 0) { submitTopConfirm(rows[current]); event.preventDefault(); return; }
    } else {
      if (key === "c") { submitTopConfirm(document); event.preventDefault(); return; }
      if (key === "j") { var next = document.querySelector("[data-next]"); if (next) window.location.href = next.href; return; }
      if (key === "k") { var prev = document.querySelector("[data-prev]"); if (prev) window.location.href = prev.href; return; }
      if (key === "a") { var alloc = document.querySelector("[data-allocate]"); if (alloc) window.location.href = alloc.href; return; }
      if (key === "u") { var back = document.querySelector("[data-back]"); if (back) window.location.href = back.href; return; }
    }
    if (key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { search.focus(); search.select(); event.preventDefault(); }
    }
  });

  var toggle = document.querySelector("[data-shortcuts-toggle]");
  if (toggle) toggle.addEventListener("click", function () {
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.showModal) dialog.showModal();
  });

  // --- statement upload: drop a file on the zone and it is sent; the plain file input still works ---
  var dropzone = document.querySelector("[data-dropzone]");
  if (dropzone) {
    document.documentElement.classList.add("js");
    var fileInput = dropzone.querySelector("[data-file]");
    var fileName = dropzone.querySelector("[data-file-name]");
    var uploadForm = dropzone.closest("form");
    var showName = function () {
      if (fileName) fileName.textContent = fileInput.files.length ? fileInput.files[0].name : "";
    };
    fileInput.addEventListener("change", showName);
    ["dragenter", "dragover"].forEach(function (name) {
      dropzone.addEventListener(name, function (event) { event.preventDefault(); dropzone.classList.add("over"); });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      dropzone.addEventListener(name, function () { dropzone.classList.remove("over"); });
    });
    dropzone.addEventListener("drop", function (event) {
      event.preventDefault();
      dropzone.classList.remove("over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      fileInput.files = files;
      showName();
      uploadForm.requestSubmit ? uploadForm.requestSubmit() : uploadForm.submit();
    });
  }

  // --- manual allocation: show what is left, fill an invoice's outstanding amount ---
  var split = document.querySelector("form[data-split]");
  if (split) {
    var open = parseInt(split.dataset.open, 10);
    var currency = split.dataset.currency;
    var locale = split.dataset.lang === "ru" ? "ru-RU" : "en-GB";
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
    var remaining = split.querySelector("[data-remaining]");
    var inputs = Array.prototype.slice.call(split.querySelectorAll(".amount-input"));

    var toMinor = function (text) {
      var cleaned = String(text).replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
      if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return 0;
      var parts = cleaned.split(".");
      return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
    };
    var fromMinor = function (minor) { return (minor / 100).toFixed(2); };
    var update = function () {
      var used = inputs.reduce(function (sum, input) { return sum + toMinor(input.value); }, 0);
      var left = open - used;
      if (remaining) {
        remaining.textContent = remaining.dataset.template.replace("{}", money.format(left / 100));
        remaining.classList.toggle("flash", left < 0);
        remaining.classList.toggle("err", left < 0);
      }
      return left;
    };
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    split.querySelectorAll("[data-fill]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = button.parentElement.querySelector(".amount-input");
        var already = toMinor(input.value);
        var left = update() + already;
        var want = Math.min(parseInt(input.dataset.outstanding, 10), Math.max(left, 0));
        input.value = fromMinor(want);
        update();
      });
    });
  }
})();

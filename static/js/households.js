// Case forms: add and remove rows (people, places), and show a reference's earlier cases as it is typed.
// Loaded with <script src>: the CSP allows no inline script.
(function () {
  "use strict";

  // Give a cloned row the next free index: members-0-name -> members-3-name.
  function renumber(row, name, index) {
    var pattern = new RegExp("^" + name + "-\\d+-");
    row.querySelectorAll("[id], [name], [for], [aria-describedby]").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(pattern, name + "-" + index + "-")); }
      });
      el.removeAttribute("aria-describedby");
      el.removeAttribute("aria-invalid");
    });
  }

  function nextIndex(container, name) {
    var highest = -1;
    var pattern = new RegExp("^" + name + "-(\\d+)-");
    container.querySelectorAll("[name]").forEach(function (el) {
      var match = el.getAttribute("name").match(pattern);
      if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
    });
    return highest + 1;
  }

  function relabel(container) {
    container.querySelectorAll("[data-row] > legend").forEach(function (legend, i) {
      legend.textContent = legend.textContent.replace(/\d+( \(lead person\))?$/, (i + 1) + (i === 0 && container.dataset.rows === "members" ? " (lead person)" : ""));
    });
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var name = button.getAttribute("data-add-row");
    var container = document.querySelector('[data-rows="' + name + '"]');
    button.addEventListener("click", function () {
      var rows = container.querySelectorAll("[data-row]");
      var row = rows[rows.length - 1].cloneNode(true);
      renumber(row, name, nextIndex(container, name));
      row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      row.querySelectorAll("input, select").forEach(function (el) {
        if (el.tagName === "SELECT") { el.selectedIndex = 0; }
        else if (el.type === "checkbox") { el.checked = false; }
        else if (el.name.endsWith("-weight")) { el.value = "3"; }
        else { el.value = ""; }
      });
      container.appendChild(row);
      relabel(container);
      row.querySelector("input, select").focus();
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) { return; }
    var container = button.closest("[data-rows]");
    var rows = container.querySelectorAll("[data-row]");
    var row = button.closest("[data-row]");
    if (rows.length === 1) {
      row.querySelectorAll("input, select").forEach(function (el) {
        if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
      });
    } else {
      row.remove();
      relabel(container);
    }
  });

  // "This reference has N earlier cases": asked when the reference looks whole.
  var reference = document.getElementById("reference");
  var slot = document.getElementById("reference-history");
  if (reference && slot) {
    var shape = /^[A-Za-z]{2,10}-[A-Za-z0-9]{1,29}$/;
    var asked = null;
    var lookUp = function () {
      var value = reference.value.trim();
      if (value === asked) { return; }
      asked = value;
      if (!shape.test(value)) { slot.innerHTML = ""; return; }
      fetch(slot.dataset.historyUrl + "?reference=" + encodeURIComponent(value), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { if (asked === value) { slot.innerHTML = html; } })
        .catch(function () { slot.innerHTML = ""; });
    };
    var timer = null;
    reference.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 300);
    });
    reference.addEventListener("change", lookUp);
    lookUp();
  }

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();

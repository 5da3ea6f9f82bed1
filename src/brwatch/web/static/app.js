// brwatch review app: keyboard shortcuts and small conveniences. Everything works without it.
(function () {
  "use strict";
  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  // Language picker submits on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Queue: j/k move the cursor, o/Enter open, x toggles the row's checkbox.
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  var current = -1;
  function focusRow(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  }
  var checkAll = document.querySelector("[data-check-all]");
  if (checkAll) {
    checkAll.addEventListener("change", function () {
      rows.forEach(function (row) {
        var box = row.querySelector("input[type=checkbox]");
        if (box) box.checked = checkAll.checked;
      });
    });
  }

  // Item page: j/k next/previous item, single keys pick a decision, n focuses the note.
  var itemNav = document.querySelector(".item-nav");
  var decideForm = document.getElementById("decide");

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    var key = event.key;
    if (rows.length) {
      if (key === "j") { focusRow(current + 1); event.preventDefault(); }
      else if (key === "k") { focusRow(current - 1); event.preventDefault(); }
      else if ((key === "o" || key === "Enter") && current >= 0) { window.location = rows[current].dataset.href; }
      else if (key === "x" && current >= 0) {
        var box = rows[current].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
      }
      return;
    }
    if (itemNav) {
      if (key === "j" && itemNav.dataset.next) { window.location = itemNav.dataset.next; return; }
      if (key === "k" && itemNav.dataset.prev) { window.location = itemNav.dataset.prev; return; }
    }
    if (decideForm) {
      var choice = decideForm.querySelector("input[data-key='" + key + "']");
      if (choice) {
        choice.checked = true;
        var target = choice.value === "permission_granted" ? decideForm.querySelector("select[name=grant_id]") : decideForm.querySelector("textarea[name=note]");
        if (target) target.focus();
        event.preventDefault();
      } else if (key === "n") {
        decideForm.querySelector("textarea[name=note]").focus();
        event.preventDefault();
      }
    }
  });

  // A decision being sent is kept in this tab until the item's version moves on, so a session
  // that expired meanwhile loses nothing: after logging in again the form is filled back in.
  if (decideForm) {
    var draftKey = "brwatch-draft-" + decideForm.dataset.item;
    var saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(draftKey) || "null"); } catch (e) { saved = null; }
    if (saved && saved.version === decideForm.dataset.version) {
      var radio = decideForm.querySelector("input[name=state][value='" + saved.state + "']");
      if (radio) radio.checked = true;
      var noteField = decideForm.querySelector("textarea[name=note]");
      if (noteField && !noteField.value) noteField.value = saved.note || "";
    } else if (saved) {
      window.sessionStorage.removeItem(draftKey);
    }
    decideForm.addEventListener("submit", function () {
      var chosen = decideForm.querySelector("input[name=state]:checked");
      window.sessionStorage.setItem(draftKey, JSON.stringify({
        version: decideForm.dataset.version,
        state: chosen ? chosen.value : "",
        note: decideForm.querySelector("textarea[name=note]").value
      }));
    });
  }

  // The report preview frame grows to the report's height (no scrollbar of its own). It is
  // sandboxed without scripts; allow-same-origin only lets this page measure it.
  document.querySelectorAll("iframe[data-fit-content]").forEach(function (frame) {
    function fit() {
      try {
        var doc = frame.contentDocument;
        if (doc && doc.documentElement) {
          frame.style.height = (doc.documentElement.scrollHeight + 2) + "px";
        }
      } catch (e) { /* not readable: the CSS height stays */ }
    }
    frame.addEventListener("load", fit);
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit();
  });

  // Enter in the note (without Shift) records the decision.
  if (decideForm) {
    decideForm.querySelector("textarea[name=note]").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); decideForm.requestSubmit(); }
    });
  }
})();

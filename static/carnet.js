// Carnet's only script: quick entry (key N), the contact picker, Enter-to-save.
// Every page works without it: forms post and redirect.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // Re-rendered forms with messages come back as 400/422: show them, not nothing.
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "40[0]|422", swap: true, error: false },
        { code: "[45]..", swap: false, error: true },
      ];
    }
  });

  // ---- layout: menus, scroll regions, focus after a refused form --------------

  // The navigation menus are <details>: they work without script; with it they also close
  // on Escape, on a click elsewhere, and when another one opens.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu.matches && menu.matches("details.menu") && menu.open) closeMenus(menu);
  }, true);

  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.menu")) closeMenus(null);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.removeAttribute("open");
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // A region that scrolls sideways must be reachable and named for keyboard and screen
  // reader users; only the ones that do overflow get a tab stop.
  function labelScrollRegions() {
    document.querySelectorAll(".table-wrap, .board").forEach(function (region) {
      if (region.dataset.scrollManaged === undefined && region.hasAttribute("tabindex")) return;
      var overflows = region.scrollWidth > region.clientWidth + 1;
      if (overflows) {
        region.dataset.scrollManaged = "";
        region.setAttribute("tabindex", "0");
        region.setAttribute("role", "region");
        if (!region.hasAttribute("aria-label") && !region.hasAttribute("aria-labelledby")) {
          var caption = region.querySelector("caption");
          var heading = region.closest("section, .card, main");
          heading = heading && heading.querySelector("h1, h2, h3");
          var name = (caption || heading || document.querySelector("h1") || {}).textContent;
          if (name) region.setAttribute("aria-label", name.trim());
        }
      } else if (region.dataset.scrollManaged !== undefined) {
        region.removeAttribute("tabindex");
        region.removeAttribute("role");
      }
    });
  }

  // After a refused form the server puts autofocus on the first field in error; this also
  // covers fields it did not render with the field macro, in page order.
  function focusFirstInvalid() {
    var first = document.querySelector("main [aria-invalid=true]");
    if (first && document.activeElement !== first) first.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelScrollRegions();
    focusFirstInvalid();
  });
  document.addEventListener("htmx:afterSettle", labelScrollRegions);
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(labelScrollRegions, 150);
  });

  function dialog() { return document.getElementById("quick-entry"); }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function openQuickEntry(contactId, contactName) {
    var d = dialog();
    if (!d) return false;
    var form = d.querySelector("#entry-form");
    if (form && !d.open) form.reset();
    var query = d.querySelector("#qe-contact");
    var hidden = d.querySelector("#qe-contact-id");
    if (contactId && query && hidden) {
      query.value = contactName || "";
      hidden.value = contactId;
    }
    if (!d.open) d.showModal();
    var focus = contactId ? d.querySelector("#qe-text") : query;
    if (focus) focus.focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if ((event.key === "n" || event.key === "N") && !typing(event.target) && !document.querySelector("dialog[open]")) {
      if (openQuickEntry()) event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-quick-entry]");
    if (opener && openQuickEntry(opener.dataset.contactId, opener.dataset.contactName)) {
      event.preventDefault();
      return;
    }
    if (event.target.closest("[data-close-dialog]")) {
      var d = event.target.closest("dialog");
      if (d) d.close();
      return;
    }
    var option = event.target.closest("#qe-suggestions [role=option]");
    if (option) pick(option);
  });

  // ---- contact picker (combobox) -------------------------------------------

  function options() {
    return Array.prototype.slice.call(document.querySelectorAll("#qe-suggestions [role=option]"));
  }

  function activeOption() {
    return document.querySelector("#qe-suggestions [role=option][aria-selected=true]");
  }

  function setActive(option) {
    options().forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    var input = document.getElementById("qe-contact");
    if (input && option) input.setAttribute("aria-activedescendant", option.id);
  }

  function closeList() {
    var list = document.getElementById("qe-suggestions");
    if (list) list.innerHTML = "";
    var input = document.getElementById("qe-contact");
    if (input) { input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
  }

  function pick(option) {
    var input = document.getElementById("qe-contact");
    var hidden = document.getElementById("qe-contact-id");
    if (!input || !hidden) return;
    input.value = option.dataset.name;
    hidden.value = option.dataset.id;
    closeList();
    // The contact's open deals, so the activity (and its next step) can go on one.
    var deals = document.getElementById("qe-deal");
    if (deals && window.htmx && !deals.querySelector(".deal-picked")) {
      htmx.ajax("GET", "/quick/deals?contact_id=" + encodeURIComponent(option.dataset.id), { target: deals, swap: "innerHTML" });
    }
    var next = document.getElementById("qe-text");
    if (next) next.focus();
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "qe-contact") {
      // Typing again means choosing again.
      var hidden = document.getElementById("qe-contact-id");
      if (hidden) hidden.value = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.id === "qe-contact") {
      var all = options();
      var current = activeOption();
      var index = all.indexOf(current);
      if (event.key === "ArrowDown" && all.length) {
        setActive(all[Math.min(index + 1, all.length - 1)]);
        event.preventDefault();
      } else if (event.key === "ArrowUp" && all.length) {
        setActive(all[Math.max(index - 1, 0)]);
        event.preventDefault();
      } else if (event.key === "Enter" && all.length) {
        pick(current || all[0]);
        event.preventDefault();
      } else if (event.key === "Escape" && all.length) {
        closeList();
        event.preventDefault();
        event.stopPropagation();
      }
      return;
    }
    if (target.matches("textarea[data-enter-submits]") && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      target.form.requestSubmit();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "qe-suggestions") {
      var input = document.getElementById("qe-contact");
      var first = options()[0];
      if (input) input.setAttribute("aria-expanded", first ? "true" : "false");
      if (first) setActive(first);
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "entry-form") {
      var invalid = form.querySelector("[aria-invalid=true], .choices input");
      if (invalid) invalid.focus();
    }
  });

  // ---- the board: drag a card onto another column ---------------------------

  var dragged = null;

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".board-column.drop").forEach(function (c) { c.classList.remove("drop"); });
  });

  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    column.classList.add("drop");
  });

  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop");
  });

  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    var stageId = column.dataset.stageId;
    if (dragged.closest(".board-column") === column) return;
    var values = { stage_id: stageId, version: dragged.dataset.version };
    if (window.htmx) {
      // The answer says what to do: reload the board, or open the deal's in-place form.
      htmx.ajax("POST", dragged.dataset.moveUrl, { source: dragged, swap: "none", values: values });
    }
  });

  document.addEventListener("activity-logged", function (event) {
    var d = dialog();
    if (d && d.open) d.close();
    var toast = document.getElementById("toast");
    if (toast) {
      toast.textContent = (event.detail && event.detail.message) || "";
      setTimeout(function () { toast.textContent = ""; }, 3000);
    }
    // The page behind may list what was just logged (Today, a contact's history): refresh it.
    if (window.htmx) {
      htmx.ajax("GET", location.pathname + location.search, { target: "#main", select: "#main", swap: "outerHTML" });
    }
  });
})();

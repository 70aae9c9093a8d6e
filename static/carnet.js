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

  function touchOnly() {
    return window.matchMedia && window.matchMedia("(hover: none) and (pointer: coarse)").matches;
  }

  // The textarea's hint speaks of keys a touch keyboard does not have.
  function touchPlaceholders(root) {
    if (!touchOnly()) return;
    (root || document).querySelectorAll("textarea[data-touch-placeholder]").forEach(function (t) {
      t.placeholder = t.dataset.touchPlaceholder;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { touchPlaceholders(); });
  document.addEventListener("htmx:afterSwap", function (event) { touchPlaceholders(event.detail.target); });

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function focusLater(selector) {
    var el = document.querySelector(selector);
    if (el) el.focus();
  }

  // Opened from a record or a Today row (its link carries the context in its query), the
  // form comes from the server filled in: contact, deal, and the follow-up it answers.
  // Opened blank, it shows at once so no typed key is lost.
  function openQuickEntry(opener) {
    var d = dialog();
    if (!d) return false;
    var form = d.querySelector("#entry-form");
    var href = opener && opener.getAttribute("href");
    var withContext = href && href.indexOf("?") !== -1 && /(contact|deal|organization|follow_up)_id=/.test(href);
    if (withContext && window.htmx) {
      if (!d.open) d.showModal();
      htmx.ajax("GET", href, { target: "#entry-form", swap: "outerHTML" }).then(function () {
        var f = document.getElementById("entry-form");
        if (f) f.dataset.dirty = "1";
        focusLater(document.getElementById("qe-contact-id") && document.getElementById("qe-contact-id").value ? "#qe-text" : "#qe-contact");
      });
      return true;
    }
    if (form && form.dataset.dirty && window.htmx) {
      if (!d.open) d.showModal();
      htmx.ajax("GET", "/activities/new", { target: "#entry-form", swap: "outerHTML" }).then(function () {
        focusLater("#qe-contact");
      });
      return true;
    }
    if (form && !d.open) form.reset();
    if (!d.open) d.showModal();
    focusLater("#qe-contact");
    return true;
  }

  // J and K walk a list's rows (Today's Log links), so a morning's calls need no mouse.
  function stepRows(by) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#main [data-row-key]"));
    if (!rows.length) return false;
    var at = rows.indexOf(document.activeElement);
    var next = at === -1 ? (by > 0 ? 0 : rows.length - 1) : Math.min(Math.max(at + by, 0), rows.length - 1);
    rows[next].focus();
    rows[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if ((event.key === "j" || event.key === "k") && !typing(event.target) && !document.querySelector("dialog[open]")) {
      if (stepRows(event.key === "j" ? 1 : -1)) event.preventDefault();
      return;
    }
    if ((event.key === "n" || event.key === "N") && !typing(event.target) && !document.querySelector("dialog[open]")) {
      // On a contact, organization or deal page, N logs on that record.
      var own = document.querySelector("#main [data-record-entry]");
      if (openQuickEntry(own)) event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-quick-entry]");
    if (opener && openQuickEntry(opener)) {
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

  function newContact(show, typed) {
    var box = document.getElementById("qe-new-contact");
    if (!box) return;
    box.hidden = !show;
    ["qe-new-name", "qe-new-org", "qe-new-phone", "qe-new-email"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.value = "";
    });
    if (show && typed) {
      // Digits typed are a phone number; anything else is the person's name.
      var isPhone = /^[\d\s().+\/-]+$/.test(typed) && /\d{3}/.test(typed.replace(/\D/g, ""));
      document.getElementById(isPhone ? "qe-new-phone" : "qe-new-name").value = typed;
    }
  }

  function pick(option) {
    var input = document.getElementById("qe-contact");
    var hidden = document.getElementById("qe-contact-id");
    if (!input || !hidden) return;
    var form = document.getElementById("entry-form");
    if (form) form.dataset.dirty = "1";
    if (option.dataset.create !== undefined) {
      // No match: the contact is created with the activity, from what was typed.
      hidden.value = "";
      closeList();
      newContact(true, option.dataset.create);
      focusLater(document.getElementById("qe-new-name").value ? "#qe-new-org" : "#qe-new-name");
      return;
    }
    newContact(false);
    input.value = option.dataset.name;
    hidden.value = option.dataset.id;
    closeList();
    // The contact's open deals, so the activity (and its next step) can go on one, and the
    // follow-up it answers.
    var deals = document.getElementById("qe-deal");
    if (deals && window.htmx) {
      // A deal already picked (the entry was opened on it) stays picked.
      var picked = deals.querySelector(".deal-picked") && deals.querySelector("input[name=deal_id]");
      var url = "/quick/deals?contact_id=" + encodeURIComponent(option.dataset.id) +
        (picked ? "&deal_id=" + encodeURIComponent(picked.value) : "");
      htmx.ajax("GET", url, { target: deals, swap: "innerHTML" });
    }
    focusLater("#qe-text");
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "qe-contact") {
      // Typing again means choosing again.
      var hidden = document.getElementById("qe-contact-id");
      if (hidden) hidden.value = "";
      var offer = document.getElementById("qe-follow-up");
      if (offer) offer.innerHTML = "";
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
    // On a touch screen the keyboard has no Shift+Enter: Return is a new line there, and the
    // Save button saves.
    if (target.matches("textarea[data-enter-submits]") && event.key === "Enter" && !event.shiftKey && !event.isComposing && !touchOnly()) {
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

  // Today's Done and Later open a small form: the keyboard goes straight into it; once the
  // row comes back, to the row's first control, never to the page's top.
  document.addEventListener("toggle", function (event) {
    var box = event.target;
    if (box.matches && box.matches(".follow-up-actions details") && box.open) {
      var field = box.querySelector("input:not([type=hidden])");
      if (field) field.focus();
    }
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || target.id.indexOf("follow-up-") !== 0) return;
    var row = document.getElementById(target.id);
    if (!row) return;
    var control = row.querySelector("[aria-invalid=true]") || row.querySelector("button, summary, a[href]");
    if (control) control.focus();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "entry-form") {
      var invalid = form.querySelector("[aria-invalid=true], .choices input");
      if (invalid) invalid.focus();
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

// ---- board: moves that keep the page where it is ---------------------------------------
// A move made from the board (◀ ▶, "Move to…", drag and drop, the dialog's form) is posted by
// fetch; the answer is the board itself, swapped in place with scroll and focus kept, or the
// form for the facts the stage still needs, shown in a dialog on the board. Without script
// the same forms post and come back to the board (or to the deal page's form).
(function () {
  "use strict";

  var busy = false;
  var opener = null; // the card control a dialog was opened from: {dealId, control}
  var dragged = null;

  function board() { return document.getElementById("board"); }
  function moveDialog() { return document.getElementById("move-dialog"); }

  function announce(message, problem) {
    var status = document.getElementById("board-status");
    if (!status || !message) return;
    status.classList.toggle("problem", !!problem);
    // Emptied first, so the same sentence twice in a row is read twice.
    status.textContent = "";
    setTimeout(function () { status.textContent = message; }, 30);
  }

  function controlOf(element) {
    var card = element && element.closest && element.closest(".deal-card");
    if (!card) return null;
    return { dealId: card.dataset.dealId, control: element.dataset.move || "title" };
  }

  function visible(element) {
    var box = element.getBoundingClientRect();
    var area = board().getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight && box.right > area.left && box.left < area.right;
  }

  function focusControl(where) {
    if (!where || !board()) return;
    var card = board().querySelector('.deal-card[data-deal-id="' + where.dealId + '"]');
    if (!card) return;
    // The same control on the moved card; ▶ is gone in the last column: then its ◀.
    var target = card.querySelector('[data-move="' + where.control + '"]') ||
      card.querySelector("[data-move=next], [data-move=prev]") || card.querySelector(".title");
    target.focus({ preventScroll: true });
    if (!visible(target)) target.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function swapBoard(html) {
    var current = board();
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
    if (!current || !fresh) return false;
    var left = current.scrollLeft, x = window.scrollX, y = window.scrollY;
    current.replaceChildren.apply(current, Array.prototype.slice.call(fresh.childNodes));
    current.scrollLeft = left;
    window.scrollTo(x, y);
    announce(fresh.dataset.status, fresh.hasAttribute("data-status-problem"));
    return true;
  }

  function showForm(html) {
    var d = moveDialog();
    if (!d) return;
    d.querySelector(".move-dialog-body").innerHTML = html;
    if (!d.open) d.showModal();
    var first = d.querySelector("[aria-invalid=true]") || d.querySelector("[autofocus]") ||
      d.querySelector("input:not([type=hidden]), textarea, select, button");
    if (first) first.focus();
  }

  function failed() {
    var status = document.getElementById("board-status");
    announce(status && status.dataset.failed, true);
  }

  function answer(response, where) {
    return response.text().then(function (html) {
      var d = moveDialog();
      if (response.status === 200 || response.status === 409) {
        if (d && d.open) d.close();
        if (!swapBoard(html)) return failed();
        focusControl(where);
      } else if (response.status === 400 || response.status === 422) {
        opener = where;
        showForm(html);
      } else {
        failed();
      }
    });
  }

  function post(form, values, where) {
    if (busy) return;
    busy = true;
    var data = new FormData(form);
    Object.keys(values).forEach(function (name) { data.set(name, values[name]); });
    // HX-Target names the region the answer is for: the board, not a page.
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Target": "board" },
    }).then(function (response) { return answer(response, where); })
      .catch(failed)
      .finally(function () { busy = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-board-move]") || !board() || !window.fetch) return;
    event.preventDefault();
    var submitter = event.submitter;
    var values = {};
    if (submitter && submitter.name) values[submitter.name] = submitter.value;
    var inDialog = form.closest("dialog");
    post(form, values, inDialog ? opener : controlOf(submitter || form.querySelector("[data-move]")));
  });

  document.addEventListener("DOMContentLoaded", function () {
    var d = moveDialog();
    // Cancel or Escape: the deal stays where it was, focus goes back to the card.
    if (d) d.addEventListener("close", function () { focusControl(opener); });
  });

  // Drag and drop: onto a column, or onto the strip of closed stages when they are out of view.
  function dropTarget(event) {
    return dragged && event.target.closest && event.target.closest(".board-column, .drop-zone");
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (!card || !board()) return;
    dragged = card;
    card.classList.add("dragging");
    var b = board();
    document.body.classList.toggle("board-dragging", b.scrollWidth > b.clientWidth);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.body.classList.remove("board-dragging");
    document.querySelectorAll(".board-column.drop, .drop-zone.drop").forEach(function (c) { c.classList.remove("drop"); });
  });

  document.addEventListener("dragover", function (event) {
    var target = dropTarget(event);
    if (!target) return;
    event.preventDefault();
    target.classList.add("drop");
  });

  document.addEventListener("dragleave", function (event) {
    var target = event.target.closest && event.target.closest(".board-column, .drop-zone");
    if (target && !target.contains(event.relatedTarget)) target.classList.remove("drop");
  });

  document.addEventListener("drop", function (event) {
    var target = dropTarget(event);
    if (!target) return;
    event.preventDefault();
    var card = dragged;
    var column = card.closest(".board-column");
    if (column && column.dataset.stageId === target.dataset.stageId) return;
    var form = card.querySelector("form[data-board-move]");
    if (form) post(form, { stage_id: target.dataset.stageId }, { dealId: card.dataset.dealId, control: "title" });
  });
})();

// A copy button: data-copy names the field whose value goes to the clipboard.
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copy);
    if (!field) return;
    field.select();
    var done = function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied || label;
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();

// Tracklane dashboard behaviour. The pages work without it; it adds copy
// buttons, filters that apply on change, confirmations, and the live
// status of the integration test page. Loaded as a file: the pages' CSP
// allows no inline script.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Fallback for plain-http dashboards, where the Clipboard API is off.
    return new Promise(function (resolve, reject) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "sr-only";
      document.body.appendChild(ta);
      ta.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (e) {
        reject(e);
      } finally {
        document.body.removeChild(ta);
      }
    });
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el) return;
    var label = btn.textContent;
    copyText(el.textContent).then(function () {
      btn.textContent = "Copied";
      btn.classList.add("copied");
    }, function () {
      // Could not copy: select the text so the user can press Ctrl+C.
      var range = document.createRange();
      range.selectNodeContents(el);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      btn.textContent = "Press Ctrl+C";
    });
    setTimeout(function () {
      btn.textContent = label;
      btn.classList.remove("copied");
    }, 1600);
  });

  // Commission fields: only those of the chosen type show (percent, or a
  // fixed amount and its currency; none for the tenant's default). Without
  // JavaScript all stay visible, and the server reads only the chosen
  // type's fields.
  function showCommissionFields(form) {
    var checked = form.querySelector('input[name="commission_type"]:checked');
    var type = checked ? checked.value : "";
    form.querySelectorAll("[data-commission]").forEach(function (el) {
      el.hidden = el.getAttribute("data-commission") !== type;
    });
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit], input[data-autosubmit]") && el.form) el.form.submit();
    if (el.name === "commission_type" && el.form) showCommissionFields(el.form);
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
      return;
    }
    var busy = form.getAttribute("data-busy");
    if (busy) {
      var b = form.querySelector("button[type=submit]");
      if (b) {
        // Disable after the submit has been taken, so the value is sent.
        setTimeout(function () { b.disabled = true; b.textContent = busy; }, 0);
      }
    }
  });

  // clock writes a time as every page does, 24-hour, in the tenant's
  // timezone (with seconds: the test page shows things arrive live).
  function clock(iso, timeZone) {
    var opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
    if (timeZone) opts.timeZone = timeZone;
    try {
      return new Date(iso).toLocaleTimeString("en-GB", opts);
    } catch (e) {
      return iso.slice(11, 19) + " UTC";
    }
  }

  // The integration test page: poll the status endpoint and tick off the
  // steps as the click and the email link arrive.
  function startIntegration(root) {
    var url = root.getAttribute("data-status-url");
    var timeZone = root.getAttribute("data-timezone");
    var stepClick = root.querySelector('[data-step="click"]');
    var stepLink = root.querySelector('[data-step="link"]');
    var lineClick = root.querySelector('[data-status="click"]');
    var lineLink = root.querySelector('[data-status="link"]');
    var note = document.querySelector("[data-live-note]");
    var earlierBox = root.querySelector("[data-earlier-click]");
    var stripeConnected = root.hasAttribute("data-stripe-connected");
    var timer = null;
    var failures = 0;
    var earlierAt = null;

    // Going on with an earlier click counts the steps from that click on.
    var useEarlier = root.querySelector("[data-use-earlier]");
    if (useEarlier) {
      useEarlier.addEventListener("click", function () {
        if (!earlierAt) return;
        var u = new URL(url, window.location.href);
        u.searchParams.set("since", String(Date.parse(earlierAt)));
        url = u.pathname + u.search;
        earlierBox.hidden = true;
        poll();
      });
    }

    function setLine(line, text) {
      line.textContent = text;
      line.classList.add("ok");
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (s) {
          failures = 0;
          if (earlierBox) {
            earlierAt = !s.click && s.earlier_click ? s.earlier_click.at : null;
            earlierBox.hidden = !earlierAt;
            if (earlierAt) {
              earlierBox.querySelector("[data-earlier-text]").textContent =
                "This affiliate already has a click from " + clock(earlierAt, timeZone) + " on " +
                s.earlier_click.landing_url + ": if that was you, your visit is counted there.";
            }
          }
          if (s.click) {
            root.querySelector('[data-step="open"]').classList.add("done");
            stepClick.classList.add("done");
            setLine(lineClick, "Click received at " + clock(s.click.at, timeZone) +
              " on " + s.click.landing_url + (s.click.device ? " (" + s.click.device + ")" : ""));
          }
          if (s.link) {
            stepLink.classList.add("done");
            setLine(lineLink, "Linked " + s.link.customer + " to the click at " + clock(s.link.at, timeZone) +
              ". Your integration works.");
          }
          if (s.click && s.link) {
            clearInterval(timer);
            if (note) {
              note.textContent = stripeConnected
                ? "All steps done: clicks and email links arrive, and Stripe is connected."
                : "Steps 1–3 done: clicks and email links arrive. Step 4 is still open: connect Stripe.";
            }
          }
        })
        .catch(function () {
          failures++;
          if (note) note.textContent = "Could not reach the server; retrying…";
          if (failures > 30) clearInterval(timer);
        });
    }
    poll();
    timer = setInterval(poll, 2000);
  }

  // A table wider than its card scrolls sideways: a line under it says so
  // (without JavaScript the edge shadow of .table-wrap still does).
  function markWideTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var next = wrap.nextElementSibling;
      var hint = next && next.classList.contains("scroll-hint") ? next : null;
      var wide = wrap.scrollWidth > wrap.clientWidth + 1;
      if (wide && !hint) {
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.textContent = "Scroll sideways for more columns →";
        wrap.after(hint);
      }
      if (hint) hint.hidden = !wide;
    });
  }
  window.addEventListener("resize", markWideTables);

  document.addEventListener("DOMContentLoaded", function () {
    markWideTables();
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-commission]")) showCommissionFields(form);
    });
    var root = document.getElementById("integration");
    if (root && root.getAttribute("data-status-url")) startIntegration(root);
  });
})();

// Dims and unticks the break-out sessions of the days the registrant did not choose, on the
// registration form and on the change form. The server checks this anyway; without JavaScript
// the forms work the same.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form.program-form")) {
    const dayInputs = form.querySelectorAll('input[name="workshop_day"]');
    const groups = form.querySelectorAll(".choice-subgroup[data-day-group]");
    if (!dayInputs.length || !groups.length) continue;

    const update = function () {
      let chosen = null;
      for (const input of dayInputs) {
        if (input.checked) chosen = input.dataset.day || null;
      }
      for (const group of groups) {
        const other = chosen !== null && group.dataset.dayGroup !== chosen;
        group.classList.toggle("is-other-day", other);
        for (const box of group.querySelectorAll('input[type="checkbox"]')) {
          box.disabled = other;
          if (other) box.checked = false;
        }
      }
    };
    for (const input of dayInputs) input.addEventListener("change", update);
    update();
  }

  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link in the summary puts the cursor in its field, not just the page at it.
    summary.addEventListener("click", function (event) {
      const link = event.target.closest('a[href^="#"]');
      const target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      const field = target.matches("input, select, textarea")
        ? target
        : target.querySelector("input:not([type=hidden]), select, textarea");
      if (field) field.focus();
    });
  }
})();

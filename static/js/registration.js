// Dims and unticks the break-out sessions of the days the registrant did not choose.
// The server checks this anyway; without JavaScript the form works the same.
(function () {
  "use strict";
  const form = document.getElementById("registration-form");
  if (!form) return;
  const dayInputs = form.querySelectorAll('input[name="workshop_day"]');
  const groups = form.querySelectorAll(".choice-subgroup[data-day-group]");
  if (!dayInputs.length || !groups.length) return;

  function chosenDay() {
    for (const input of dayInputs) {
      if (input.checked) return input.dataset.day || null;
    }
    return null;
  }

  function update() {
    const chosen = chosenDay();
    for (const group of groups) {
      const other = chosen !== null && group.dataset.dayGroup !== chosen;
      group.classList.toggle("is-other-day", other);
      for (const box of group.querySelectorAll('input[type="checkbox"]')) {
        box.disabled = other;
        if (other) box.checked = false;
      }
    }
  }

  for (const input of dayInputs) input.addEventListener("change", update);
  update();

  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();

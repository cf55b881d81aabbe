// The canned-reply picker of a ticket's console page: choosing a canned reply puts its text
// into the reply's text area (the option carries it in `data-body`). Without this script the
// page still works: the text is shown beside the picker to copy.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const picker of document.querySelectorAll("select[data-canned-for]")) {
    const target = document.getElementById(picker.dataset.cannedFor);
    if (!target) {
      continue;
    }
    picker.addEventListener("change", () => {
      const option = picker.selectedOptions[0];
      if (option && option.dataset.body) {
        target.value = option.dataset.body;
        target.focus();
      }
    });
  }
});

"use strict";
// The blind A/B study page: fetch this participant's pairs, show them one at a time, post votes.

const RATING_LABELS = ["bad", "poor", "fair", "good", "excellent"]; // ITU-R BT.500 ACR scale
const SIDES = ["left", "right"];
const HTTP_CONFLICT = 409; // the vote was already recorded (a double click): move on

const form = document.getElementById("trial");
const submit = document.getElementById("submit");
const progress = document.getElementById("progress");
const errorBox = document.getElementById("error");
let trials = [];
let current = -1;

function buildRatings() {
  for (const side of SIDES) {
    const group = document.getElementById(`rating-${side}`);
    RATING_LABELS.forEach((label, index) => {
      const input = document.createElement("input");
      input.type = "radio";
      input.name = `rating_${side}`;
      input.value = String(index + 1);
      input.id = `rating-${side}-${index + 1}`;
      const wrapper = document.createElement("label");
      wrapper.append(input, ` ${index + 1} ${label}`);
      group.append(wrapper);
    });
  }
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

async function errorMessage(response) {
  try {
    return (await response.json()).error || response.statusText;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function updateSubmit() {
  const data = new FormData(form);
  for (const side of SIDES) {
    document.getElementById(`side-${side}`).classList.toggle("chosen", data.get("preferred") === side);
  }
  submit.disabled = !(data.get("preferred") && data.get("rating_left") && data.get("rating_right"));
}

function showTrial() {
  current = trials.findIndex((trial) => !trial.voted);
  if (current < 0) {
    form.hidden = true;
    document.getElementById("done").hidden = false;
    progress.textContent = `All ${trials.length} pairs done.`;
    return;
  }
  form.reset();
  for (const side of SIDES) {
    document.getElementById(`image-${side}`).src = trials[current][side];
  }
  progress.textContent = `Pair ${current + 1} of ${trials.length}`;
  form.hidden = false;
  updateSubmit();
}

async function submitVote(event) {
  event.preventDefault();
  const data = new FormData(form);
  const vote = {
    trial: trials[current].id,
    preferred: data.get("preferred"),
    rating_left: Number(data.get("rating_left")),
    rating_right: Number(data.get("rating_right")),
  };
  submit.disabled = true;
  try {
    const response = await fetch("/api/vote", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(vote),
    });
    if (!response.ok && response.status !== HTTP_CONFLICT) {
      showError(`Your answer was not saved: ${await errorMessage(response)}`);
      updateSubmit();
      return;
    }
  } catch (error) {
    showError(`Could not reach the study server; your answer was not saved (${error}).`);
    updateSubmit();
    return;
  }
  showError("");
  trials[current].voted = true;
  showTrial();
}

async function start() {
  buildRatings();
  form.addEventListener("change", updateSubmit);
  form.addEventListener("submit", submitVote);
  for (const button of document.querySelectorAll(".choose")) {
    button.addEventListener("click", () => {
      document.getElementById(`prefer-${button.dataset.side}`).checked = true;
      updateSubmit();
    });
  }
  try {
    const response = await fetch("/api/session", { method: "POST" });
    if (!response.ok) {
      showError(`Cannot start the study: ${await errorMessage(response)}`);
      return;
    }
    trials = (await response.json()).trials;
  } catch (error) {
    showError(`Could not reach the study server (${error}).`);
    return;
  }
  showTrial();
}

start();

// The raters' page of a listening study: trials from /api/study/<token>, clips by trial and
// label, answers posted back. It asks the server for nothing else.
(() => {
  "use strict";
  const root = document.getElementById("study");
  const base = `/api/study/${root.dataset.token}`;
  const $ = (id) => document.getElementById(id);
  let study = null;
  let rater = "";
  let queue = [];

  async function json(url, options) {
    const response = await fetch(url, options);
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || response.statusText);
    return body;
  }

  function show(index) {
    const trial = queue[index];
    if (!trial) {
      $("trial").hidden = true;
      $("done").hidden = false;
      return;
    }
    const done = study.n_trials - queue.length + index;
    $("progress").textContent = `Trial ${done + 1} of ${study.n_trials}`;
    $("reference").src = `${base}/clip/${trial.trial}/ref`;
    const box = $("candidates");
    box.querySelectorAll(".candidate").forEach((node) => node.remove());
    for (const label of trial.candidates) {
      const row = document.createElement("div");
      row.className = "candidate";
      const input = Object.assign(document.createElement("input"), { type: "radio", name: "choice", value: label, id: `choice-${label}` });
      input.addEventListener("change", () => { $("next").disabled = false; });
      const text = Object.assign(document.createElement("label"), { htmlFor: input.id, className: "label", textContent: `Candidate ${label}` });
      const audio = Object.assign(document.createElement("audio"), { controls: true, preload: "none", src: `${base}/clip/${trial.trial}/${label}` });
      row.append(input, text, audio);
      box.append(row);
    }
    $("next").disabled = true;
    $("next").onclick = async () => {
      const choice = box.querySelector("input:checked");
      if (!choice) return;
      $("next").disabled = true;
      try {
        await json(`${base}/answers`, { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ rater, trial: trial.trial, choice: choice.value }) });
        $("error").textContent = "";
        show(index + 1);
      } catch (error) {
        $("error").textContent = `Not saved: ${error.message}`;
        $("next").disabled = false;
      }
    };
  }

  $("who").addEventListener("submit", async (event) => {
    event.preventDefault();
    rater = $("rater").value.trim();
    try {
      study = await json(`${base}?rater=${encodeURIComponent(rater)}`);
    } catch (error) {
      $("error").textContent = error.message;
      $("trial").hidden = false;
      return;
    }
    const answered = new Set(study.answered);
    queue = study.trials.filter((trial) => !answered.has(trial.trial));
    $("who").hidden = true;
    $("trial").hidden = false;
    show(0);
  });
})();

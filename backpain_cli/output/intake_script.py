"""The intake form's script (output/intake_form.py), kept apart from the page's markup.

It reads the question model from the page's JSON (clinical.intake.form_spec) and applies
the interview's rules to it: `evaluate` is clinical.questionnaire.evaluate (absent,
hidden, unknown; negate, if_missing), `checkValue` its check_value, and `walk` the walk of
clinical.answers.validate (hidden questions' answers are dropped, invalid ones not kept).
tests/test_intake_form.py holds the Python and the script to the same results. Nothing is
kept in the browser: no storage, no cookies; the answers leave only as the saved file.
"""

SCRIPT = r"""
(function () {
"use strict";
var data = JSON.parse(document.getElementById("form-data").textContent);
var T = data.texts, M = T.messages;
var questions = [], byId = {}, moduleOf = {};
data.modules.forEach(function (m, i) {
  m.questions.forEach(function (q) { questions.push(q); byId[q.id] = q; moduleOf[q.id] = i; });
});
var PLACE_ORDER = ["ambulance", "emergency_department", "early_pregnancy_unit", "maternity_unit"];

function isInt(v) { return typeof v === "number" && Number.isInteger(v); }
function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, function (all, key) {
    return key in values ? String(values[key]) : all;
  });
}

// clinical.questionnaire._compare
function compare(answer, op, value) {
  if (Array.isArray(answer)) {
    if (op === "=") return answer.indexOf(value) >= 0;
    if (op === "!=") return answer.indexOf(value) < 0;
    if (op === "in") return value.some(function (v) { return answer.indexOf(v) >= 0; });
    return false;
  }
  if (op === "=") return answer === value;
  if (op === "!=") return answer !== value;
  if (op === "in") return value.some(function (v) { return answer === v; });
  if (!(isInt(answer) && isInt(value))) return false;
  if (op === ">") return answer > value;
  if (op === "<") return answer < value;
  if (op === ">=") return answer >= value;
  return answer <= value;
}

// clinical.questionnaire.evaluate: true, false, or null (cannot be decided yet).
function evaluate(when, answers, hidden) {
  if (!when) return true;
  var results = when.conditions.map(function (c) {
    var r;
    if (Object.prototype.hasOwnProperty.call(answers, c.question)) {
      r = compare(answers[c.question], c.operator, c.value);
    } else if (hidden[c.question] || c.missing_is_absent) {
      r = false;
    } else {
      return null;
    }
    return c.negate ? !r : r;
  });
  if (when.mode === "all") {
    if (results.indexOf(false) >= 0) return false;
    return results.indexOf(null) >= 0 ? null : true;
  }
  if (results.indexOf(true) >= 0) return true;
  return results.indexOf(null) >= 0 ? null : false;
}

// clinical.questionnaire.check_value: null when valid, else the client's message.
function checkValue(q, value) {
  if (q.type === "yesno") return typeof value === "boolean" ? null : M.yesno;
  if (q.type === "int") {
    if (!isInt(value)) return M.whole;
    if ((q.min !== null && value < q.min) || (q.max !== null && value > q.max)) {
      return fill(M.range, {min: q.min, max: q.max});
    }
    return null;
  }
  if (q.type === "choice") {
    return typeof value === "string" && q.choices.indexOf(value) >= 0 ? null : M.choice;
  }
  if (!Array.isArray(value) || value.length === 0) return M.multi;
  for (var i = 0; i < value.length; i++) {
    if (typeof value[i] !== "string" || q.choices.indexOf(value[i]) < 0) return M.choice;
    if (value.indexOf(value[i]) !== i) return M.choice;
  }
  for (var j = 0; j < q.exclusive.length; j++) {
    if (value.indexOf(q.exclusive[j]) >= 0 && value.length > 1) {
      return fill(M.exclusive, {label: q.labels[q.exclusive[j]]});
    }
  }
  return null;
}

function normalise(q, value) {
  if (q.type !== "multi") return value;
  return q.choices.filter(function (c) { return value.indexOf(c) >= 0; });
}

// clinical.answers.validate: questions in order, each condition judged on the valid
// answers before it; answers to hidden questions dropped, invalid ones not kept.
function walk(raw) {
  var answers = {}, hidden = {}, shown = {}, problems = {};
  questions.forEach(function (q) {
    var s = evaluate(q.when, answers, hidden);
    shown[q.id] = s;
    if (s === false) { hidden[q.id] = true; return; }
    if (!Object.prototype.hasOwnProperty.call(raw, q.id)) return;
    var problem = checkValue(q, raw[q.id]);
    if (problem !== null) { problems[q.id] = problem; return; }
    answers[q.id] = normalise(q, raw[q.id]);
  });
  return {answers: answers, hidden: hidden, shown: shown, problems: problems};
}

function emergencyPlaces(answers) {
  var state = "other";
  if (answers.pregnancy === "pregnant") {
    state = "pregnant:" + (isInt(answers.pregnancy_weeks) ? answers.pregnancy_weeks : "");
  } else if (answers.pregnancy === "postpartum") {
    state = "postpartum";
  }
  var found = {};
  data.signs.forEach(function (sign) {
    if (answers[sign] === true) {
      (data.places[sign][state] || data.places[sign].other).forEach(function (p) {
        found[p] = true;
      });
    }
  });
  return PLACE_ORDER.filter(function (p) { return found[p]; });
}

// ------------------------------------------------------------------ the page

var form = document.getElementById("form");
var groups = Array.prototype.slice.call(document.querySelectorAll("section.group"));
var current = 0, dirty = false, saved = false;

function read() {
  var raw = {};
  questions.forEach(function (q) {
    if (q.type === "int") {
      var text = form.elements[q.id].value.trim();
      if (text === "") return;
      raw[q.id] = /^-?[0-9]+$/.test(text) ? parseInt(text, 10) : text;
      return;
    }
    var boxes = form.querySelectorAll("input[name='" + q.id + "']");
    var ticked = [];
    Array.prototype.forEach.call(boxes, function (b) { if (b.checked) ticked.push(b.value); });
    if (ticked.length === 0) return;
    if (q.type === "multi") raw[q.id] = ticked;
    else if (q.type === "yesno") raw[q.id] = ticked[0] === "yes";
    else raw[q.id] = ticked[0];
  });
  return raw;
}

function showError(q, message) {
  var el = document.getElementById("e-" + q.id);
  var inputs = form.querySelectorAll("[name='" + q.id + "']");
  if (message) { el.textContent = message; el.hidden = false; }
  else { el.textContent = ""; el.hidden = true; }
  Array.prototype.forEach.call(inputs, function (i) {
    if (message) i.setAttribute("aria-invalid", "true"); else i.removeAttribute("aria-invalid");
  });
}

function update() {
  var state = walk(read());
  // A question is shown once its condition holds; one that cannot be decided yet (an
  // earlier answer it reads is still open) waits, as the interview would not ask it yet.
  questions.forEach(function (q) {
    document.getElementById("q-" + q.id).hidden = state.shown[q.id] !== true;
  });
  var places = emergencyPlaces(state.answers);
  var box = document.getElementById("emergency");
  if (places.length) {
    var words = places.map(function (p) { return data.place_words[p]; });
    var joined = words.length === 1 ? words[0]
      : words.slice(0, -1).join(", ") + " and " + words[words.length - 1];
    var text = fill(T.emergency, {places: joined});
    var line = document.getElementById("emergency-text");
    if (box.hidden || line.textContent !== text) {
      line.textContent = text;
      if (box.hidden) {
        box.hidden = false;
        // On a phone the client is far down the page: the box must be seen, not only heard.
        box.scrollIntoView({block: "start"});
      }
    }
  } else {
    box.hidden = true;
  }
  return state;
}

// The problems of one part (every part: index null): invalid answers, and required
// questions left open unless an emergency sign makes the rest optional (the interview's
// rule, clinical.answers.emergency_waives).
function problemsIn(state, index) {
  var waived = emergencyPlaces(state.answers).length > 0;
  var out = [];
  questions.forEach(function (q) {
    if (index !== null && moduleOf[q.id] !== index) return;
    if (state.shown[q.id] === false) return;
    if (state.problems[q.id]) out.push([q, state.problems[q.id]]);
    else if (state.shown[q.id] === true && q.required && !waived
             && !Object.prototype.hasOwnProperty.call(state.answers, q.id)) {
      out.push([q, M.missing]);
    }
  });
  return out;
}

function check(index) {
  var state = update();
  questions.forEach(function (q) {
    if (index === null || moduleOf[q.id] === index) showError(q, null);
  });
  var found = problemsIn(state, index);
  found.forEach(function (p) { showError(p[0], p[1]); });
  return found;
}

function show(index) {
  current = index;
  groups.forEach(function (g, i) { g.hidden = i !== index; });
  document.getElementById("back").hidden = index === 0;
  document.getElementById("next").hidden = index === groups.length - 1;
  document.getElementById("progress").textContent =
    fill(T.part, {n: index + 1, total: groups.length, title: data.titles[index]});
  if (index === groups.length - 1) {
    var state = update();
    document.getElementById("missing").hidden = problemsIn(state, null).length === 0;
  }
  var heading = groups[index].querySelector("h2");
  heading.focus();
}

function firstInput(q) {
  return form.querySelector("[name='" + q.id + "']");
}

function next() {
  var found = check(current);
  if (found.length) { firstInput(found[0][0]).focus(); return; }
  show(current + 1);
}

function pad(n) { return (n < 10 ? "0" : "") + n; }

function toml(answers) {
  var lines = ["# Answers from the intake form, filled in by the client.", ""];
  if (data.client) lines.push("client = " + JSON.stringify(data.client), "");
  lines.push("[answers]");
  questions.forEach(function (q) {
    if (!Object.prototype.hasOwnProperty.call(answers, q.id)) return;
    var v = answers[q.id];
    var text = Array.isArray(v)
      ? "[" + v.map(function (x) { return JSON.stringify(x); }).join(", ") + "]"
      : typeof v === "string" ? JSON.stringify(v) : String(v);
    lines.push(q.id + " = " + text);
  });
  var now = new Date();
  var completed = now.toISOString().replace(/\.[0-9]+Z$/, "Z");
  var modules = data.modules.map(function (m) {
    return m.id + " = " + JSON.stringify(m.version);
  });
  lines.push("", "[intake]", 'filled_by = "client"', "completed = " + completed,
             "modules = { " + modules.join(", ") + " }", "");
  var day = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  return {text: lines.join("\n"), name: (data.client || "intake") + "-" + day + ".answers.toml"};
}

function save() {
  for (var i = 0; i < groups.length - 1; i++) {
    if (check(i).length) {
      show(i);
      var found = problemsIn(walk(read()), i);
      if (found.length) firstInput(found[0][0]).focus();
      return;
    }
  }
  var file = toml(walk(read()).answers);
  var link = document.createElement("a");
  link.href = "data:application/toml;charset=utf-8," + encodeURIComponent(file.text);
  link.download = file.name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  saved = true;
  document.getElementById("saving").textContent = fill(T.saved, {file: file.name});
}

function restart() {
  if (dirty && !window.confirm(T.confirm)) return;
  form.reset();
  dirty = false;
  saved = false;
  questions.forEach(function (q) { showError(q, null); });
  document.getElementById("saving").textContent = "";
  update();
  show(0);
}

form.addEventListener("change", function () { dirty = true; saved = false; update(); });
form.addEventListener("input", function () { dirty = true; saved = false; });
form.addEventListener("submit", function (e) { e.preventDefault(); });
document.getElementById("next").addEventListener("click", next);
document.getElementById("back").addEventListener("click", function () { show(current - 1); });
document.getElementById("save").addEventListener("click", save);
document.getElementById("restart").addEventListener("click", restart);
window.addEventListener("beforeunload", function (e) {
  if (dirty && !saved) { e.preventDefault(); e.returnValue = ""; }
});
// For the tests that hold the script to the product's rules (run in the page).
window.backpainIntake = {evaluate: evaluate, checkValue: checkValue, walk: walk,
                         emergencyPlaces: emergencyPlaces, toml: toml, byId: byId};
update();
}());
"""

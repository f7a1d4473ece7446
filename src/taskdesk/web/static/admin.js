// taskdesk admin: live regions, JSON actions with confirm, the upload with its progress bar,
// and the dashboard chart. Loaded as a file (the CSP runs no inline script).
"use strict";
(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  // Where the admin is mounted ("" at the root of `taskdesk serve`, "/tasks" inside an app).
  const root = () => (document.querySelector('meta[name="root-path"]') || { content: "" }).content;
  const selected = new Set();

  function toast(message, kind) {
    const area = document.getElementById("toasts");
    const box = document.createElement("div");
    box.className = "alert alert-" + (kind || "success");
    box.setAttribute("role", kind === "danger" ? "alert" : "status");
    box.textContent = message; // text, never markup
    area.appendChild(box);
    setTimeout(() => box.remove(), kind === "danger" ? 10000 : 5000);
  }

  async function send(method, url, body) {
    const options = { method, headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
                      credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    if (response.status === 401) { location.assign(root() + "/login?next=" + encodeURIComponent(location.pathname)); }
    if (!response.ok) { throw new Error(data.detail || response.status + " " + response.statusText); }
    return data;
  }

  // -- live regions: refreshed every data-every ms while the tab is visible ---------------
  function refresh(element) {
    const url = element.dataset.live || location.pathname + location.search;
    if (!window.htmx) { return; }
    window.htmx.ajax("GET", url, { target: element, swap: "innerHTML" });
  }
  function refreshAll() {
    document.querySelectorAll("[data-live]").forEach(refresh);
    document.querySelectorAll("canvas[data-source]").forEach(drawChart);
  }
  function startLive() {
    document.querySelectorAll("[data-live]").forEach((element) => {
      const every = Number(element.dataset.every || 3000);
      setInterval(() => { if (!document.hidden) { refresh(element); } }, every);
    });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { refreshAll(); } });
  }

  // -- selection of tasks, kept across refreshes ---------------------------------------------
  function restoreSelection() {
    document.querySelectorAll("input.row-select").forEach((box) => { box.checked = selected.has(box.value); });
  }
  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.classList && box.classList.contains("row-select")) {
      if (box.checked) { selected.add(box.value); } else { selected.delete(box.value); }
    } else if (box.classList && box.classList.contains("select-page")) {
      document.querySelectorAll("input.row-select").forEach((row) => {
        row.checked = box.checked;
        if (box.checked) { selected.add(row.value); } else { selected.delete(row.value); }
      });
    }
  });
  document.addEventListener("htmx:afterSwap", restoreSelection);

  function selection() {
    const matching = document.querySelector("input.select-matching");
    if (matching && matching.checked) { return { filter: JSON.parse(matching.dataset.filter) }; }
    const ids = Array.from(selected, Number);
    if (!ids.length) { throw new Error("Select some tasks first."); }
    return { task_ids: ids };
  }

  // -- buttons with data-action="METHOD /url" -----------------------------------------------
  async function act(button) {
    const [method, template] = button.dataset.action.split(" ");
    let body;
    let url = template;
    if (button.dataset.nameFrom) {  // "/api/queues/{}/pause": the name typed, as one path segment
      const name = document.querySelector(button.dataset.nameFrom).value;
      if (!name) { throw new Error("Type a name first."); }
      url = template.replace("{}", encodeURIComponent(name));
    }
    if (button.dataset.selection) { body = selection(); }
    if (button.dataset.body) { body = JSON.parse(button.dataset.body); }
    if (button.dataset.statusFrom) { body.status = document.querySelector(button.dataset.statusFrom).value; }
    if (button.dataset.roleFrom) { body = { role: document.querySelector(button.dataset.roleFrom).value }; }
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) { return; }
    if (method === "POST" && body === undefined) { body = {}; }
    button.disabled = true;
    try {
      const data = await send(method, url, body);
      if (button.hasAttribute("data-show-token")) { showToken(data); }
      toast(data.message || "Done.");
      if (button.dataset.then) { location.assign(button.dataset.then); return; }
      if (button.hasAttribute("data-reload")) { setTimeout(() => location.reload(), 400); return; }
      if (button.dataset.selection) { selected.clear(); }
      refreshAll();
    } finally { button.disabled = false; }
  }
  function showToken(data) {
    const box = document.getElementById("new-token");
    box.hidden = false;
    box.textContent = "New token for " + data.details.user + " (copy it now, it is not shown again): " + data.token;
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) { return; }
    event.preventDefault();
    act(button).catch((error) => toast(error.message, "danger"));
  });

  // -- forms sent as JSON: data-json-form="METHOD /url" ---------------------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.jsonForm) {
      event.preventDefault();
      const [method, url] = form.dataset.jsonForm.split(" ");
      send(method, url, Object.fromEntries(new FormData(form).entries()))
        .then((data) => { toast(data.message || "Saved."); if (form.hasAttribute("data-reload")) { setTimeout(() => location.reload(), 400); } })
        .catch((error) => toast(error.message, "danger"));
    } else if (form.id === "upload-form") {
      event.preventDefault();
      upload(form);
    }
  });

  // -- Installer: upload with a progress bar; the refusal is shown in place --------------------
  function upload(form) {
    const result = document.getElementById("upload-result");
    const progress = document.getElementById("upload-progress");
    const bar = document.getElementById("upload-bar");
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-CSRF-Token", csrf());
    request.setRequestHeader("Accept", "application/json");
    progress.hidden = false;
    result.textContent = "";
    result.className = "mt-2";
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) { return; }
      const percent = Math.round((100 * event.loaded) / event.total);
      bar.style.width = percent + "%";
      progress.setAttribute("aria-valuenow", String(percent));
    });
    request.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(request.responseText); } catch (error) { data = {}; }
      if (request.status >= 200 && request.status < 300) {
        result.className = "mt-2 alert alert-success";
        result.textContent = "Uploaded " + data.name + " " + data.version + " (" + data.code + "). Install its modules on Extensions.";
        setTimeout(() => location.reload(), 1200);
      } else {
        result.className = "mt-2 alert alert-danger";
        result.textContent = "Refused: " + (data.detail || request.status + " " + request.statusText);
      }
    });
    request.addEventListener("error", () => {
      result.className = "mt-2 alert alert-danger";
      result.textContent = "The upload failed: the server could not be reached.";
    });
    request.send(new FormData(form));
  }

  // -- the dashboard's chart -----------------------------------------------------------------
  const charts = new WeakMap();
  async function drawChart(canvas) {
    if (!window.Chart || document.hidden) { return; }
    const response = await fetch(canvas.dataset.source, { headers: { Accept: "application/json" } });
    if (!response.ok) { return; }
    const activity = (await response.json()).activity;
    const labels = activity.map((point) => point.minute.slice(11, 16));
    const complete = activity.map((point) => point.complete);
    const failed = activity.map((point) => point.failed);
    let chart = charts.get(canvas);
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = complete;
      chart.data.datasets[1].data = failed;
      chart.update("none");
      return;
    }
    chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [
        { label: "complete", data: complete, backgroundColor: "#198754" },
        { label: "failed", data: failed, backgroundColor: "#dc3545" },
      ] },
      options: { animation: false, maintainAspectRatio: false,
                 scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });
    charts.set(canvas, chart);
  }
  function startCharts() {
    document.querySelectorAll("canvas[data-source]").forEach((canvas) => {
      drawChart(canvas);
      setInterval(() => drawChart(canvas), Number(canvas.dataset.every || 10000));
    });
  }

  document.addEventListener("DOMContentLoaded", () => { startLive(); startCharts(); restoreSelection(); });
})();

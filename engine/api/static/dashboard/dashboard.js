// minsheng /dashboard: the dashboard query for the caller's region, redrawn on every projectEvents event.
// The token is kept in sessionStorage (never in the URL); the page only reads.
"use strict";
(function () {
  const TOKEN_KEY = "minsheng.token";
  const $ = (id) => document.getElementById(id);
  let region = null, socket = null, events = 0, pending = null;

  const DASHBOARD = `query($region: ID, $year: Int) { dashboard(region: $region, year: $year) {
    region { id name } year asOf projects planned started completed completionRate startRate
    byState { state label count } byRegion { id name own projects planned completed completionRate startRate }
    figures { plugin label figures { name label value unit } } } }`;
  const RANKS = `query($region: ID, $year: Int!, $month: Int!) { redBlackList(region: $region, year: $year, month: $month) {
    lists { name label entries { name kind reason } } } }`;
  const REGIONS = "{ regions { id name children { id name children { id name } } } }";
  const EVENTS = "subscription($region: ID) { projectEvents(region: $region) { code event toState } }";

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  async function graphql(query, variables) {
    const headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    const response = await fetch("graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    const body = await response.json();
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
    return body.data;
  }

  function el(tag, text, attributes) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    return node;
  }

  function rows(table, heading, lines) {
    table.replaceChildren();
    const head = el("tr");
    heading.forEach((h) => head.appendChild(el("th", h)));
    table.appendChild(head);
    lines.forEach((cells) => {
      const tr = el("tr");
      cells.forEach((cell) => tr.appendChild(typeof cell === "object" && cell !== null ? cell : el("td", cell ?? "—")));
      table.appendChild(tr);
    });
  }

  function percent(value) { return value === null || value === undefined ? "—" : value + "%"; }

  function showFigures(d) {
    for (const key of ["projects", "planned", "started", "completed"]) $("figure-" + key).textContent = d[key];
    $("figure-completionRate").textContent = percent(d.completionRate);
    $("figure-startRate").textContent = percent(d.startRate);
    $("region-name").textContent = d.region.name + " " + d.year + "年（截至 " + d.asOf + "）";
    rows($("states"), ["状态", "项目数"], d.byState.map((s) => [s.label, el("td", s.count, { class: "number", "data-state": s.state })]));
    chart(d.byRegion);
    const groups = $("plugins");
    groups.replaceChildren();
    d.figures.forEach((g) => {
      const table = el("table", null, { "data-plugin": g.plugin });
      rows(table, [g.label, ""], g.figures.map((f) => [f.label, el("td", f.value === null ? "—" : f.value + f.unit,
        { class: "number", "data-figure": g.plugin + "." + f.name })]));
      groups.appendChild(table);
    });
  }

  function chart(byRegion) {
    const svg = $("chart"), ns = "http://www.w3.org/2000/svg", width = 520, rowHeight = 34, left = 130;
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(1, byRegion.length) * rowHeight + 20}`);
    byRegion.forEach((r, i) => {
      const y = i * rowHeight + 10;
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", 0); label.setAttribute("y", y + 14); label.textContent = r.name;
      svg.appendChild(label);
      [["completionRate", "bar-completion", 0], ["startRate", "bar-start", 14]].forEach(([key, cls, dy]) => {
        const value = r[key] === null ? 0 : Number(r[key]);
        const bar = document.createElementNS(ns, "rect");
        bar.setAttribute("x", left); bar.setAttribute("y", y + dy); bar.setAttribute("height", 12);
        bar.setAttribute("width", (width - left - 60) * value / 100); bar.setAttribute("class", cls);
        bar.setAttribute("data-region", r.name); bar.setAttribute("data-rate", key);
        svg.appendChild(bar);
        const text = document.createElementNS(ns, "text");
        text.setAttribute("x", left + (width - left - 60) * value / 100 + 4); text.setAttribute("y", y + dy + 11);
        text.textContent = r[key] === null ? "—" : r[key] + "%";
        svg.appendChild(text);
      });
    });
  }

  function showLists(data) {
    const box = $("lists");
    box.replaceChildren();
    data.redBlackList.lists.forEach((list) => {
      box.appendChild(el("h3", list.label + "（" + list.entries.length + "）"));
      const table = el("table", null, { class: list.name + "-list", "data-list": list.name });
      rows(table, ["名称", "理由"], list.entries.map((e) => [e.name, e.reason]));
      box.appendChild(table);
    });
  }

  async function refresh() {
    pending = null;
    try {
      const data = await graphql(DASHBOARD, { region, year: Number($("year").value) || null });
      const d = data.dashboard;
      showFigures(d);
      $("year").value = d.year;
      const month = Number(d.asOf.slice(5, 7));
      showLists(await graphql(RANKS, { region: d.region.id, year: d.year, month }));
      $("updated").textContent = "更新于 " + new Date().toLocaleTimeString() + "，收到事件 " + events + " 条";
      $("problem").textContent = "";
    } catch (error) {
      $("problem").textContent = "无法读取：" + error.message;
    }
  }

  function later() { if (!pending) pending = setTimeout(refresh, 300); }

  function subscribe() {
    if (socket) socket.close();
    const url = location.href.replace(/^http/, "ws").replace(/\/dashboard[^]*$/, "/graphql");
    socket = new WebSocket(url, "graphql-transport-ws");
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init",
      payload: token() ? { Authorization: "Bearer " + token() } : {} }));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "events", type: "subscribe", payload: { query: EVENTS, variables: { region } } }));
        $("live").textContent = "实时更新：已连接";
        $("live").setAttribute("data-live", "yes");
      } else if (data.type === "next") {
        events += 1;
        later();
      } else if (data.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    };
    socket.onclose = () => { $("live").textContent = "实时更新：已断开"; $("live").setAttribute("data-live", "no"); };
  }

  async function regions() {
    const select = $("region");
    select.replaceChildren();
    const data = await graphql(REGIONS, {});
    const add = (r, depth) => {
      select.appendChild(el("option", "　".repeat(depth) + r.name, { value: r.id }));
      (r.children || []).forEach((c) => add(c, depth + 1));
    };
    data.regions.forEach((r) => add(r, 0));
    region = region && [...select.options].some((o) => o.value === region) ? region : (select.options[0] || {}).value;
    select.value = region;
  }

  async function start() {
    $("signed-in").textContent = token() ? "已使用令牌" : "公众（未登录）";
    try {
      await regions();
    } catch (error) {
      $("problem").textContent = "无法读取地区：" + error.message;
      return;
    }
    await refresh();
    subscribe();
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    region = null;
    start();
  });
  $("sign-out").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); region = null; start(); });
  $("region").addEventListener("change", () => { region = $("region").value; refresh(); subscribe(); });
  $("year").addEventListener("change", refresh);
  start();
})();

// Shared by the SitePulse dashboard pages: API calls with the login token, the live
// WebSocket (subscribe, resume from the last event, reconnect), Beijing time, Chinese labels.
const SP = (() => {
  const api = window.SITEPULSE.api;
  const labels = {
    direction: {in: "进场", out: "出场", unknown: "未知"},
    method: {face: "人脸", card: "刷卡", qr: "二维码", mobile: "手机"},
    verification: {confirmed: "已复核", mismatch: "复核不一致", unverifiable: "无法复核"},
    protocol: {sitepulse: "SitePulse", zkteco: "中控 PUSH", hikvision: "海康 ISAPI", dahua: "大华", httpv2: "HTTPv2"},
  };
  // A terminal's clock offset (receive time minus its time) in words; past 2 minutes it is marked.
  function clockCell(row, offset) {
    const text = offset == null ? "—" : `${offset > 0 ? "慢" : "快"} ${Math.abs(Math.round(offset))} 秒`;
    return cell(row, text, offset != null && Math.abs(offset) > 120 ? "failed" : "");
  }
  const token = () => sessionStorage.getItem("sitepulse.token");
  const claims = () => {
    const t = token();
    if (!t) return null;
    try { return JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); }
    catch (e) { return null; }
  };
  async function call(path, options = {}) {
    const headers = {"Authorization": `Bearer ${token()}`, ...(options.headers || {})};
    const response = await fetch(api + path, {...options, headers});
    if (response.status === 401) { location.href = "/"; throw new Error("未登录"); }
    const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
    if (!response.ok) {
      // A 422 names each field's problem in Chinese: show them all.
      const problems = body && body.problems ? body.problems.map((p) => p.message_zh).join("；") : "";
      const error = new Error(problems || (body && (body.message_zh || body.reason)) || `请求失败 ${response.status}`);
      error.status = response.status;
      error.fields = body && body.problems ? body.problems.map((p) => p.field) : [];
      throw error;
    }
    return body;
  }
  async function image(url) {
    const response = await fetch(api + url, {headers: {"Authorization": `Bearer ${token()}`}});
    return response.ok ? URL.createObjectURL(await response.blob()) : null;
  }
  function beijing(iso, withDate = false) {
    if (!iso) return "—";
    const options = {timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false};
    if (withDate) Object.assign(options, {month: "2-digit", day: "2-digit"});
    return new Date(iso).toLocaleString("zh-CN", options);
  }
  function today() {
    return new Date().toLocaleDateString("sv-SE", {timeZone: "Asia/Shanghai"});
  }
  function beijingDay(iso) {
    return new Date(iso).toLocaleDateString("sv-SE", {timeZone: "Asia/Shanghai"});
  }
  // Subscribe to one channel; reconnects and resumes from the last pass seen.
  function live(channel, onMessage, onStatus) {
    let lastEventId = null, stopped = false;
    function connect() {
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
      ws.onopen = () => ws.send(JSON.stringify({type: "subscribe", token: token(), channel, last_event_id: lastEventId}));
      ws.onmessage = (raw) => {
        const message = JSON.parse(raw.data);
        if (message.type === "subscribed") { onStatus("已连接"); return; }
        if (message.type === "heartbeat") return;
        if (message.type === "pass") lastEventId = message.event.event_id;
        onMessage(message);
      };
      ws.onclose = (event) => {
        if (event.code === 4403 || event.code === 4401 || event.code === 4400) {
          stopped = true;
          onStatus(event.code === 4403 ? "无权查看" : "请重新登录", true);
          return;
        }
        if (!stopped) { onStatus("已断开，正在重连…"); setTimeout(connect, 1000); }
      };
    }
    connect();
  }
  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }
  // Draw (or redraw) an ECharts chart in the element with this id; marks it drawn.
  function chart(id, option) {
    const element = document.getElementById(id);
    if (!element || typeof echarts === "undefined") return;
    const instance = echarts.getInstanceByDom(element) || echarts.init(element);
    instance.setOption(option, true);
    element.dataset.ready = "yes";
  }
  // The phone's location (WGS-84, with its accuracy in metres).
  function locate() {
    return new Promise((resolve, reject) => navigator.geolocation.getCurrentPosition(resolve, reject,
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 0}));
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // Open the camera into the <video> with this id, hand `use` a function that grabs the
  // current frame as base64 JPEG, and close the camera when `use` is done.
  async function withCamera(videoId, use) {
    const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "user"}, audio: false});
    const video = document.getElementById(videoId);
    video.srcObject = stream; video.hidden = false;
    await video.play();
    const grab = () => {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
    };
    try { return await use(grab); }
    finally { stream.getTracks().forEach((track) => track.stop()); video.hidden = true; }
  }
  // Two frames of the worker's face a moment apart (a live picture moves), as the API's
  // live face check asks for: clock-in, training.
  function liveFrames(videoId) {
    return withCamera(videoId, async (grab) => {
      await sleep(500);
      const first = grab();
      await sleep(800);
      return [first, grab()];
    });
  }
  // POST (or PUT) a JSON body.
  function send(path, body, method = "POST", extra = {}) {
    return call(path, {method, headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), ...extra});
  }
  // Why a phone step failed, in words: a refused permission, or the server's reasons.
  function phoneError(error) {
    if (error.code === 1) return "未获得定位权限：请在浏览器设置中允许使用位置信息";
    if (error.name === "NotAllowedError") return "未获得摄像头权限：请允许使用摄像头";
    return error.message || "操作失败";
  }
  // Scan a QR code with the camera: post each frame to `path` (with the phone's location)
  // until the server reads one, for at most ten frames.
  async function scanQr(videoId, path) {
    const position = await locate();
    const where = {latitude: position.coords.latitude, longitude: position.coords.longitude,
                   accuracy_m: position.coords.accuracy};
    return withCamera(videoId, async (grab) => {
      for (let attempt = 0; ; attempt++) {
        await sleep(600);
        try {
          return await call(path, {method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({...where, frame_jpeg: grab()})});
        } catch (error) {
          if (!(error.fields || []).includes("frame_jpeg") || attempt >= 9) throw error;
        }
      }
    });
  }
  // Show a sign-in QR code from `path` in the element `qrId`, renewed ten seconds before it
  // expires, with the seconds left in `expiryId`.
  const codeTimers = {};
  async function showCode(path, qrId, expiryId, label) {
    const code = await call(path);
    document.getElementById(qrId).innerHTML = code.qr_svg;  // the API's own SVG
    clearInterval(codeTimers[qrId]);
    codeTimers[qrId] = setInterval(() => {
      const left = Math.round((new Date(code.expires_at) - new Date()) / 1000);
      document.getElementById(expiryId).textContent = `${label} ${Math.max(left, 0)} 秒后刷新`;
      if (left <= 10) showCode(path, qrId, expiryId, label).catch(() => {});
    }, 1000);
  }
  function logout() { sessionStorage.removeItem("sitepulse.token"); location.href = "/"; }
  return {api, call, image, beijing, beijingDay, today, live, cell, clockCell, chart, claims, token, labels, logout,
          locate, sleep, withCamera, liveFrames, send, phoneError, scanQr, showCode};
})();

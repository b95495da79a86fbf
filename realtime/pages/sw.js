// The worker app's service worker: shows Web Push notices (sent encrypted by the platform
// with its VAPID key) and opens the app on a tap.
self.addEventListener("push", (event) => {
  let notice = {title_zh: "SitePulse 通知", body_zh: ""};
  try { notice = {...notice, ...event.data.json()}; } catch (e) { /* an empty push */ }
  event.waitUntil(self.registration.showNotification(notice.title_zh, {
    body: notice.body_zh, tag: notice.notice_id ? `notice-${notice.notice_id}` : undefined,
    icon: "/icon.svg", lang: "zh-CN", data: {url: "/worker.html#notices"},
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});

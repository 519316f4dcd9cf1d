// Screenshot a Superset dashboard in headless Chromium: node shot.mjs URL USER PASSWORD OUT.png
// Fails (exit 1) if a chart shows an error or the charts do not finish loading in time.
import { chromium } from "playwright-core";

const [base, user, password, out] = process.argv.slice(2);
const dashboardPath = process.env.DASHBOARD_PATH || "/superset/dashboard/govlake-population/";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: "zh-CN" });
  await page.goto(`${base}/login/`, { waitUntil: "domcontentloaded" });
  await page.fill("#username", user);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.press("#password", "Enter")]);
  await page.goto(`${base}${dashboardPath}`, { waitUntil: "networkidle", timeout: 120000 });
  await page.waitForSelector(".dashboard-component-chart-holder", { timeout: 60000 });
  // Wait until no chart is still loading.
  await page.waitForFunction(() => document.querySelectorAll(".loading, [data-test='loading-indicator']").length === 0,
                             null, { timeout: 90000 });
  await page.waitForTimeout(2000);
  const errors = await page.locator(".alert-danger, [data-test='error-tooltip'], .ant-alert-error").count();
  await page.screenshot({ path: out, fullPage: true });
  if (errors > 0) { console.error(`${errors} chart error(s) on the dashboard; screenshot in ${out}`); process.exit(1); }
  console.log(`saved ${out}`);
} finally {
  await browser.close();
}

// Open Superset dashboards in headless Chromium, wait for every chart, save a screenshot of each:
//   node shot.mjs BASE_URL USER PASSWORD OUT_DIR SLUG...
// Prints one line per dashboard: "dashboard SLUG: N charts, E errors, L still loading -> OUT_DIR/SLUG.png".
// Exit 1 if any dashboard has a chart error, a chart that never finished loading, or no charts.
import { chromium } from "playwright-core";

const [base, user, password, outDir, ...slugs] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // SwiftShader: software WebGL for the deck.gl map, there is no GPU here.
  args: ["--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const ERRORS = ".alert-danger, [data-test='error-tooltip'], .ant-alert-error, [data-test='chart-error']";
let failed = 0;
try {
  // Tall viewport: every chart is on screen, so none waits for scrolling (virtualised dashboards).
  const page = await browser.newPage({ viewport: { width: 1600, height: 3200 }, locale: "zh-CN" });
  await page.goto(`${base}/login/`, { waitUntil: "domcontentloaded" });
  await page.fill("#username", user);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation({ timeout: 60000 }), page.press("#password", "Enter")]);
  for (const slug of slugs) {
    const out = `${outDir}/${slug}.png`;
    let charts = 0, errors = 0, loading = 0, note = "";
    try {
      await page.goto(`${base}/superset/dashboard/${slug}/`, { waitUntil: "networkidle", timeout: 180000 });
      await page.waitForSelector(".dashboard-component-chart-holder", { timeout: 60000 });
      try {
        await page.waitForFunction(
          () => document.querySelectorAll(".dashboard-component-chart-holder .loading, [data-test='loading-indicator']").length === 0,
          null, { timeout: 150000 });
      } catch (e) { note = " (timed out waiting for charts)"; }
      await page.waitForTimeout(3000);
      charts = await page.locator(".dashboard-component-chart-holder").count();
      errors = await page.locator(ERRORS).count();
      loading = await page.locator(".dashboard-component-chart-holder .loading, [data-test='loading-indicator']").count();
      await page.screenshot({ path: out, fullPage: true });
    } catch (e) {
      note = ` (${String(e).split("\n")[0]})`;
      errors += 1;
    }
    const bad = errors > 0 || loading > 0 || charts === 0;
    failed += bad;
    console.log(`dashboard ${slug}: ${charts} charts, ${errors} errors, ${loading} still loading -> ${out}${note}${bad ? " FAILED" : ""}`);
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

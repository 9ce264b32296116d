// Kontor in the browser. Starts the wasm core's download at once, paints from the device's
// own store, then connects.
import { render } from "preact";
import { App } from "./ui/App";
import { boot } from "./lib/session";
import { applyTheme } from "./lib/theme";
import { loadCore } from "./lib/device";
import { phase } from "./lib/state";
import "./styles.css";

void loadCore();
applyTheme();
render(<App />, document.getElementById("app") as HTMLElement);
boot().catch((e) => {
  console.error("kontor: start failed", e);
  phase.value = "unreachable";
});

if ("serviceWorker" in navigator && location.protocol !== "file:") {
  addEventListener("load", () => {
    void navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
  });
}

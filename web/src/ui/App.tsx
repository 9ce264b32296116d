// Which screen: first start, login, invitation, linking, the session's end, or the
// messenger itself.
import { phase } from "../lib/state";
import { route } from "../lib/router";
import { t } from "../lib/i18n";
import { Setup } from "./auth/Setup";
import { Login } from "./auth/Login";
import { Join } from "./auth/Join";
import { Link } from "./auth/Link";
import { Ended, Unreachable } from "./auth/Ended";
import { Shell } from "./Shell";
import { AskHost } from "./ask";
import { Spinner, Toasts } from "./common";

export function App() {
  const p = phase.value;
  const r = route.value;
  let screen;
  if (p === "loading") screen = <Spinner label={t("common.loading")} />;
  else if (p === "ended") screen = <Ended />;
  else if (p === "setup") screen = r.page === "join" ? <Join /> : <Setup />;
  else if (p === "login") screen = r.page === "join" ? <Join /> : <Login />;
  else if (p === "link") screen = <Link />;
  else if (p === "unreachable") screen = <Unreachable />;
  else screen = <Shell />;
  return (
    <>
      {screen}
      <AskHost />
      <Toasts />
    </>
  );
}

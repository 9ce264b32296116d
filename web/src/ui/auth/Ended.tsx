// The session ended while the page was open: everything of it on this browser is deleted.
import { endedBecause, phase } from "../../lib/state";
import { t } from "../../lib/i18n";
import { navigate } from "../../lib/router";
import { Frame } from "./Frame";

export function Ended() {
  const why = endedBecause.value;
  return (
    <Frame title={t("ended.title")}>
      <p role="alert" data-testid="session-ended">
        {t(`ended.${why}`)}
      </p>
      <p class="muted">{t("ended.wiped")}</p>
      <button
        class="primary"
        onClick={() => {
          phase.value = "login";
          navigate("/login", true);
        }}
      >
        {t("ended.login")}
      </button>
    </Frame>
  );
}

/** The app could not start: the server is out of reach and this device has nothing kept. */
export function Unreachable() {
  return (
    <Frame title={t("unreachable.title")}>
      <p role="alert">{t("error.unreachable")}</p>
      <button class="primary" onClick={() => location.reload()}>
        {t("unreachable.retry")}
      </button>
    </Frame>
  );
}

// What the person must know about the conversation on this device: why it stopped and what
// to do, that this device is being added again, whom messages do not reach yet; and why the
// composer is not there.
import { t } from "../../lib/i18n";
import { refreshConversations } from "../../lib/session";
import { device, toast } from "../../lib/state";
import type { ConversationView } from "../../gen/ConversationView";
import { errorText } from "../common";
import { useSubmit } from "../hooks";
import { personName } from "../names";

export function StateBanners(props: { view: ConversationView }) {
  const v = props.view;
  const tryAgain = useSubmit(async () => {
    try {
      await device().tryAgain(v.id);
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      void refreshConversations();
    }
  });
  const who = personName(v.stopped?.person);
  return (
    <>
      {v.stopped && (
        <div class="banner warn" role="alert" data-testid="stopped">
          <p>{t(`stop.${v.stopped.reason}`, { who })}</p>
          <p>{t("stop.whatToDo", { who })}</p>
          <button type="button" class="button" disabled={tryAgain.busy} onClick={() => void tryAgain.run()}>
            {t("stop.tryAgain")}
          </button>
        </div>
      )}
      {v.rejoining && (
        <p class="banner" role="status" data-testid="rejoining">
          {t("conversation.rejoining")}
        </p>
      )}
      {v.unreachable.length > 0 && (
        <p class="banner" role="status" data-testid="unreachable">
          {t("conversation.unreachable", { names: v.unreachable.map((u) => personName(u)).join(", ") })}
        </p>
      )}
    </>
  );
}

/** In place of the composer when this device may not write here. */
export function ReadOnly(props: { view: ConversationView }) {
  const v = props.view;
  return (
    <p class="banner" data-testid="read-only">
      {v.stopped ? t("conversation.stoppedShort") : v.rejoining ? t("conversation.rejoiningShort") : t("conversation.readOnly")}
    </p>
  );
}

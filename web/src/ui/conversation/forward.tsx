// Forwarding a message: the person picks another conversation they may write in; the text
// goes there as their own message, marked forwarded, encrypted for that conversation's
// members like every message.
import { useState } from "preact/hooks";
import { mayWrite } from "../../lib/device";
import { t } from "../../lib/i18n";
import { conversations, device, me, serverConversations, toast } from "../../lib/state";
import type { MessageView } from "../../gen/MessageView";
import { Avatar, Dialog, errorText } from "../common";
import { avatarId, conversationName } from "../names";

export function ForwardDialog(props: { from: string; message: MessageView; onClose: () => void }) {
  const [q, setQ] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const mine = me.value?.person.id;
  const needle = q.trim().toLowerCase();
  const targets = conversations.value.filter((c) => {
    if (c.removed || c.stopped || c.id === props.from) return false;
    const role = serverConversations.value[c.id]?.members.find((m) => m.person_id === mine)?.role;
    return mayWrite(c, role) && (!needle || conversationName(c).toLowerCase().includes(needle));
  });
  async function send(to: string, name: string) {
    setBusy(to);
    try {
      await device().forward(props.from, props.message.id, to);
      toast(t("forward.done", { name }));
      props.onClose();
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      setBusy(null);
    }
  }
  return (
    <Dialog title={t("forward.title")} onClose={props.onClose}>
      <div class="field">
        <label for="forward-q">{t("forward.search")}</label>
        <input id="forward-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </div>
      {targets.length === 0 ? (
        <p class="muted">{t("forward.none")}</p>
      ) : (
        <ul class="people" data-testid="forward-targets">
          {targets.map((c) => {
            const name = conversationName(c);
            return (
              <li key={c.id}>
                <button
                  type="button"
                  class="person"
                  disabled={busy !== null}
                  aria-busy={busy === c.id}
                  onClick={() => void send(c.id, name)}
                >
                  <Avatar id={avatarId(c)} name={name} size="s" kind={c.kind} />
                  <span class="person-body">
                    <span class="person-name">{name}</span>
                  </span>
                  <span class="check-mark" aria-hidden="true">
                    ›
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </Dialog>
  );
}

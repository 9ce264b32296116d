// A new direct chat, group or announcement channel, with people from the directory. A direct
// chat opens with one tap on the person (the one this device has with them, or a new one);
// a group or channel is named and started with the people chosen.
import { useState } from "preact/hooks";
import { Icon } from "./icons";
import { openDirect } from "../lib/direct";
import { t, tn } from "../lib/i18n";
import { navigate } from "../lib/router";
import { refreshConversations } from "../lib/session";
import { device, toast } from "../lib/state";
import type { ConversationKind } from "../gen/ConversationKind";
import type { Person } from "../gen/Person";
import { Busy, errorText, Field } from "./common";
import { useSubmit } from "./hooks";
import { PersonPicker } from "./PersonPicker";
import { showPerson } from "./PersonCard";

export function NewChat(props: { kind?: ConversationKind }) {
  const [kind, setKind] = useState<ConversationKind>(props.kind ?? "direct");
  const [name, setName] = useState("");
  const [selected, setSelected] = useState<string[]>([]);
  const [opening, setOpening] = useState<string | null>(null);

  // One tap on a person opens the direct chat with them.
  const direct = useSubmit(async (person: string) => {
    setOpening(person);
    try {
      await openDirect(person);
    } catch (err) {
      toast(errorText(err), "error");
      throw err;
    } finally {
      setOpening(null);
    }
  });

  function toggle(p: Person) {
    if (kind === "direct") {
      void direct.run(p.id);
      return;
    }
    setSelected((s) => (s.includes(p.id) ? s.filter((x) => x !== p.id) : [...s, p.id]));
  }

  const { busy, error, submit: create } = useSubmit(async () => {
    try {
      const id = await device().create(kind, name.trim(), selected);
      await refreshConversations(true);
      navigate(`/c/${id}`, true);
    } catch (err) {
      toast(errorText(err), "error");
      throw err;
    }
  });

  const ready = selected.length > 0 && name.trim().length > 0;
  const shownError = kind === "direct" ? direct.error : error;
  return (
    <section class="page" aria-labelledby="new-title">
      <header class="page-head">
        <button type="button" class="icon back" onClick={() => navigate("/")} aria-label={t("nav.back")}>
          <Icon name="back" />
        </button>
        <h1 id="new-title">{t("new.title")}</h1>
      </header>
      <form onSubmit={create} class="page-body">
        <div class="chips" role="radiogroup" aria-label={t("new.kind")}>
          {(["direct", "group", "channel"] as ConversationKind[]).map((k) => (
            <button
              key={k}
              type="button"
              role="radio"
              aria-checked={kind === k}
              class={kind === k ? "chip on" : "chip"}
              onClick={() => {
                setKind(k);
                if (k === "direct") setSelected([]);
              }}
            >
              {t(`kind.${k}`)}
            </button>
          ))}
        </div>
        <p class="muted">{t(`new.explain.${kind}`)}</p>
        {kind !== "direct" && (
          <Field
            label={kind === "channel" ? t("new.channelName") : t("new.groupName")}
            name="conversation_name"
            value={name}
            onInput={setName}
            required
          />
        )}
        <PersonPicker
          selected={kind === "direct" ? [] : selected}
          onToggle={toggle}
          single={kind === "direct"}
          onShow={(p) => showPerson(p.id)}
          busy={kind === "direct" ? opening : null}
        />
        {shownError ? <p class="error">{errorText(shownError)}</p> : null}
        {kind !== "direct" && (
          <div class="sticky-actions">
            <Busy busy={busy} disabled={!ready}>
              {busy ? t("new.creating") : tn("new.create", selected.length)}
            </Busy>
          </div>
        )}
      </form>
    </section>
  );
}

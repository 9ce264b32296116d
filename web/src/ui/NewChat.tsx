// A new direct chat, group or announcement channel, with people from the directory.
import { useState } from "preact/hooks";
import { Icon } from "./icons";
import { t, tn } from "../lib/i18n";
import { navigate } from "../lib/router";
import { refreshConversations } from "../lib/session";
import { conversations, device, serverConversations, toast } from "../lib/state";
import type { ConversationKind } from "../gen/ConversationKind";
import type { Person } from "../gen/Person";
import { Busy, errorText, Field } from "./common";
import { useSubmit } from "./hooks";
import { PersonPicker } from "./PersonPicker";

export function NewChat(props: { kind?: ConversationKind }) {
  const [kind, setKind] = useState<ConversationKind>(props.kind ?? "direct");
  const [name, setName] = useState("");
  const [selected, setSelected] = useState<string[]>([]);

  function toggle(p: Person) {
    if (kind === "direct") {
      setSelected([p.id]);
      return;
    }
    setSelected((s) => (s.includes(p.id) ? s.filter((x) => x !== p.id) : [...s, p.id]));
  }

  /** A direct chat with this person that exists already. */
  function existingDirect(person: string): string | null {
    for (const c of conversations.value) {
      if (c.kind !== "direct" || c.removed) continue;
      const members = serverConversations.value[c.id]?.members ?? [];
      if (members.length === 2 && members.some((m) => m.person_id === person)) return c.id;
    }
    return null;
  }

  const { busy, error, submit: create } = useSubmit(async () => {
    if (kind === "direct" && selected.length === 1) {
      const existing = existingDirect(selected[0]);
      if (existing) {
        navigate(`/c/${existing}`);
        return;
      }
    }
    try {
      const id = await device().create(kind, kind === "direct" ? null : name.trim(), selected);
      await refreshConversations(true);
      navigate(`/c/${id}`, true);
    } catch (err) {
      toast(errorText(err), "error");
      throw err;
    }
  });

  const ready =
    selected.length > 0 && (kind === "direct" ? selected.length === 1 : name.trim().length > 0);
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
                if (k === "direct") setSelected((s) => s.slice(0, 1));
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
        <PersonPicker selected={selected} onToggle={toggle} single={kind === "direct"} />
        {error ? <p class="error">{errorText(error)}</p> : null}
        <div class="sticky-actions">
          <Busy busy={busy} disabled={!ready}>
            {busy ? t("new.creating") : tn("new.create", selected.length)}
          </Busy>
        </div>
      </form>
    </section>
  );
}

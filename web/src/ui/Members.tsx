// Who is in a conversation, with their roles; admins add and remove people, name the
// conversation and choose who writes in a channel; everybody can compare safety numbers and
// leave.
import { useState } from "preact/hooks";
import { t, tn } from "../lib/i18n";
import { navigate } from "../lib/router";
import { applyUpdates, refreshConversations } from "../lib/session";
import { conversations, device, me, serverConversations, toast } from "../lib/state";
import type { ConversationRole } from "../gen/ConversationRole";
import type { Person } from "../gen/Person";
import { ask } from "./ask";
import { Avatar, Busy, Dialog, errorText, Field } from "./common";
import { nameOf } from "../lib/people";
import { conversationName, personName } from "./names";
import { useResource, useSubmit } from "./hooks";
import { loadVerified, verifiedPeople } from "../lib/verified";
import { PersonPicker } from "./PersonPicker";
import { SafetyNumber } from "./SafetyNumber";

export function Members(props: { id: string }) {
  const id = props.id;
  const server = serverConversations.value[id];
  const view = conversations.value.find((c) => c.id === id);
  const mine = server?.members.find((m) => m.person_id === me.value?.person.id);
  const admin = mine?.role === "admin";
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(view?.name ?? "");
  const [safety, setSafety] = useState<string | null>(null);
  // Whom this person verified, and whether the number is still the one compared.
  const members = view?.members.map((m) => m.person) ?? [];
  const checked = useResource(
    async () => {
      await loadVerified();
      const out: Record<string, "same" | "changed"> = {};
      for (const p of members) {
        const kept = verifiedPeople.value[p];
        if (!kept) continue;
        const now = ((await device().safetyNumber(p)) as string).replace(/\s/g, "");
        out[p] = now === kept ? "same" : "changed";
      }
      return out;
    },
    [members.join(","), verifiedPeople.value, safety],
    {} as Record<string, "same" | "changed">,
  );

  // One change at a time; a failure is a toast.
  const { busy, run } = useSubmit(async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      toast(errorText(e), "error");
    }
  });

  const add = () =>
    run(async () => {
      await applyUpdates(await device().addPeople(id, selected));
      setSelected([]);
      setAdding(false);
    });
  const remove = (user: string) =>
    run(async () => {
      const name = personName(user);
      if (!(await ask({ title: t("members.confirmRemove", { name }), yes: t("members.remove"), danger: true }))) return;
      await applyUpdates(await device().removePeople(id, [user]));
    });
  const role = (user: string, r: ConversationRole) =>
    run(async () => {
      const title = t("members.confirmRole", { name: personName(user), role: t(`role.${r}`) });
      if (!(await ask({ title, yes: t("members.changeRole") }))) return;
      await device().setRole(id, user, r);
      await refreshConversations(true);
    });
  const leave = () =>
    run(async () => {
      if (!(await ask({ title: t("members.confirmLeave"), yes: t("members.leave"), danger: true }))) return;
      await device().leave(id);
      await refreshConversations(true);
      navigate("/");
    });
  const rename = () =>
    run(async () => {
      await device().rename(id, name.trim());
      await refreshConversations();
      setRenaming(false);
    });

  if (!server || !view) return <p class="muted">{t("common.loading")}</p>;
  // Who is in the encrypted group is what this device sees in it; the server's list gives the
  // roles. Any difference between the two is shown.
  const roleOf = new Map(server.members.map((m) => [m.person_id, m.role]));
  const inGroup = new Map(view.members.map((m) => [m.person, m.devices]));
  const rows = [
    ...view.members.map((m) => ({
      person_id: m.person,
      role: roleOf.get(m.person) ?? "member",
      devices: m.devices,
      mismatch: roleOf.has(m.person) ? null : ("group" as const),
    })),
    ...server.members
      .filter((m) => !inGroup.has(m.person_id) && view.members.length > 0)
      .map((m) => ({ person_id: m.person_id, role: m.role, devices: 0, mismatch: "server" as const })),
  ];
  const roles: ConversationRole[] = view.kind === "channel" ? ["admin", "member", "reader"] : ["admin", "member"];
  return (
    <div class="members page-body" data-testid="members">
      <h2>{t("members.title")}</h2>
      {view.kind !== "direct" && admin && (
        <div class="row-actions">
          <button type="button" onClick={() => setAdding(true)} disabled={busy}>
            {t("members.add")}
          </button>
          <button type="button" onClick={() => setRenaming(true)} disabled={busy}>
            {t("members.rename")}
          </button>
        </div>
      )}
      <ul class="member-list">
        {rows.map((m) => {
          const check = checked.data[m.person_id];
          return (
          <li key={m.person_id} class="member" data-testid="member">
            {/* Initials of the name, also for "You". */}
            <Avatar id={m.person_id} name={nameOf(m.person_id, personName(m.person_id))} size="s" />
            <span class="person-body">
              <span class="person-name">
                {personName(m.person_id)}
                {check === "same" && (
                  <span class="tag verified-tag" data-testid="member-verified">
                    ✓ {t("safety.verified")}
                  </span>
                )}
              </span>
              {check === "changed" && (
                <span class="error small" role="alert" data-testid="member-safety-changed">
                  ⚠ {t("safety.changedShort")}
                </span>
              )}
              <span class="muted small">
                {t(`role.${m.role}`)} ·{" "}
                {tn("members.devices", m.devices)}
              </span>
              {m.mismatch && (
                <span class="error small" role="alert">
                  ⚠ {t(m.mismatch === "server" ? "members.notInGroup" : "members.notListed")}
                </span>
              )}
            </span>
            {m.person_id !== me.value?.person.id && (
              <span class="member-actions">
                <button type="button" class="small" onClick={() => setSafety(m.person_id)}>
                  {t("safety.short")}
                </button>
                {admin && view.kind !== "direct" && (
                  <>
                    <label class="sr-only" for={`role-${m.person_id}`}>
                      {t("members.roleOf", { name: personName(m.person_id) })}
                    </label>
                    <select
                      id={`role-${m.person_id}`}
                      value={m.role}
                      disabled={busy}
                      onChange={(e) => {
                        const el = e.target as HTMLSelectElement;
                        const picked = el.value as ConversationRole;
                        // Shows the role it has until the change is confirmed and made.
                        el.value = m.role;
                        role(m.person_id, picked);
                      }}
                    >
                      {roles.map((r) => (
                        <option key={r} value={r}>
                          {t(`role.${r}`)}
                        </option>
                      ))}
                    </select>
                    <button
                      type="button"
                      class="small danger"
                      disabled={busy}
                      onClick={() => remove(m.person_id)}
                      aria-label={t("members.removeName", { name: personName(m.person_id) })}
                    >
                      {t("members.remove")}
                    </button>
                  </>
                )}
              </span>
            )}
          </li>
          );
        })}
      </ul>
      <button type="button" class="danger" onClick={leave} disabled={busy}>
        {t("members.leave")}
      </button>
      {adding && (
        <Dialog title={t("members.addTo", { name: conversationName(view) })} onClose={() => setAdding(false)} wide>
          <PersonPicker
            selected={selected}
            exclude={server.members.map((m) => m.person_id)}
            onToggle={(p: Person) =>
              setSelected((s) => (s.includes(p.id) ? s.filter((x) => x !== p.id) : [...s, p.id]))
            }
          />
          <div class="actions">
            <Busy busy={busy} type="button" onClick={add} disabled={selected.length === 0}>
              {t("members.addN", { n: selected.length })}
            </Busy>
          </div>
        </Dialog>
      )}
      {renaming && (
        <Dialog title={t("members.rename")} onClose={() => setRenaming(false)}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void rename();
            }}
          >
            <Field label={t("members.newName")} name="rename" value={name} onInput={setName} required />
            <div class="actions">
              <Busy busy={busy} disabled={!name.trim()}>
                {t("common.save")}
              </Busy>
            </div>
          </form>
        </Dialog>
      )}
      {safety && <SafetyNumber user={safety} onClose={() => setSafety(null)} />}
    </div>
  );
}

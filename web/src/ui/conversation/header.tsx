// A conversation's header: back, its name, who is in it (or who writes in a channel), the
// search in it, and the members panel's button.
import { t, tn } from "../../lib/i18n";
import { navigate } from "../../lib/router";
import type { Conversation } from "../../gen/Conversation";
import type { ConversationView } from "../../gen/ConversationView";
import type { ConversationRole } from "../../gen/ConversationRole";
import { Avatar } from "../common";
import { Icon } from "../icons";
import { avatarId } from "../names";
import { MenuButton } from "../Menu";
import { showPerson } from "../PersonCard";
import { listPrefs, setArchived, setPinned } from "../../lib/prefs";
import { toast } from "../../lib/state";

export function ConversationHeader(props: {
  view: ConversationView;
  name: string;
  server: Conversation | undefined;
  myRole: ConversationRole | undefined;
  panel?: "members";
  searching: boolean;
  onSearch: () => void;
}) {
  const { view, name, server } = props;
  const id = view.id;
  return (
    <header class="conv-head">
      <button type="button" class="icon back" onClick={() => navigate("/")} aria-label={t("nav.back")}>
        <Icon name="back" />
      </button>
      {/* In a direct chat the header is where the other person is named: it opens their card. */}
      {view.kind === "direct" && avatarId(view) !== view.id ? (
        <button
          type="button"
          class="person-show"
          onClick={() => showPerson(avatarId(view))}
          title={t("card.show", { name })}
          data-testid="header-person"
        >
          <span class="sr-only">{t("card.show", { name })}</span>
          <Avatar id={avatarId(view)} name={name} kind={view.kind} />
        </button>
      ) : (
        <Avatar id={avatarId(view)} name={name} kind={view.kind} />
      )}
      <div class="conv-title">
        <h1 data-testid="conversation-title">{name}</h1>
        <p class="muted">
          {view.kind === "channel"
            ? props.myRole === "reader"
              ? t("conversation.channelReader")
              : t("conversation.channelPoster")
            : tn("conversation.members", server?.members.length ?? 0)}
        </p>
      </div>
      <MenuButton label={t("conversation.actions")} testId="conversation-menu">
        {(close) => {
          const { pinned, archived } = listPrefs.value;
          const isPinned = pinned.includes(id);
          const isArchived = archived.includes(id);
          return (
            <>
              <button type="button" role="menuitem" onClick={() => (close(), setPinned(id, !isPinned))}>
                {isPinned ? t("conversation.unpin") : t("conversation.pin")}
              </button>
              <button
                type="button"
                role="menuitem"
                onClick={() => {
                  close();
                  setArchived(id, !isArchived);
                  if (!isArchived) toast(t("conversation.archived"));
                }}
              >
                {isArchived ? t("conversation.unarchive") : t("conversation.archive")}
              </button>
            </>
          );
        }}
      </MenuButton>
      <button
        type="button"
        class="icon"
        aria-label={t("search.open")}
        aria-pressed={props.searching}
        onClick={props.onSearch}
        data-testid="search-here"
      >
        <Icon name="search" />
      </button>
      <button
        type="button"
        class="icon"
        aria-label={t("members.title")}
        aria-expanded={props.panel === "members"}
        onClick={() => navigate(props.panel === "members" ? `/c/${id}` : `/c/${id}/members`)}
      >
        <Icon name="people" />
      </button>
    </header>
  );
}

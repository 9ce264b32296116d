// A conversation's header: back, its name, who is in it (or who writes in a channel), the
// search in it, and the members panel's button.
import { t, tn } from "../../lib/i18n";
import { navigate } from "../../lib/router";
import type { Conversation } from "../../gen/Conversation";
import type { ConversationView } from "../../gen/ConversationView";
import type { ConversationRole } from "../../gen/ConversationRole";
import { Avatar } from "../common";
import { Icon } from "../icons";

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
      <Avatar id={view.id} name={name} kind={view.kind} />
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

//! One newtype per identifier, so that an organisation id can never be passed where a user id
//! is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
        pub struct $name(pub Uuid);

        #[cfg(feature = "new-ids")]
        impl $name {
            /// A fresh, time-ordered identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        #[cfg(feature = "new-ids")]
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organisation: the unit of isolation. Nothing crosses from one to another.
    OrgId
);
id_type!(
    /// A person of one organisation (`person_id` on the API and in the database; `user_id`
    /// only inside the signed v1 device list and membership certificate).
    PersonId
);
id_type!(
    /// One device (phone, browser, CLI, bot) of a person; it will hold its own keys.
    DeviceId
);
id_type!(
    /// One login session on a device.
    SessionId
);
id_type!(
    /// A team: department, project, site, region, patient or case, or a free group.
    TeamId
);
id_type!(
    /// An invitation to join an organisation.
    InvitationId
);
id_type!(
    /// One entry of the audit log.
    AuditId
);
id_type!(
    /// A conversation (direct, group or announcement channel); its MLS group id is this id's
    /// 16 bytes.
    ConversationId
);
id_type!(
    /// A request by a new device to be linked to its person.
    LinkRequestId
);
id_type!(
    /// Chosen by the sending client for each message it sends, so that a retry is recognised
    /// and stored once.
    ClientMsgId
);

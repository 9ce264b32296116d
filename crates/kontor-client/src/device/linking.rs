//! Identity, linking and key packages through the server: this device linked or not, its
//! key packages topped up, colleagues' identities learnt, devices linked and dropped.

use super::*;

impl<H: Host> Device<H> {
    /// Learns these people's identities and claims a key package for each of their devices,
    /// to add or renew them.
    pub(super) async fn claim_key_packages(
        &mut self,
        users: &[PersonId],
    ) -> Result<ClaimedKeyPackages> {
        self.learn(users).await?;
        self.post(
            "/key-packages/claim",
            &ClaimKeyPackages {
                people: users.to_vec(),
            },
        )
        .await
    }

    /// Whether this device can take part in conversations (it holds or was signed by the
    /// person's identity key).
    pub fn is_linked(&self) -> bool {
        let me = self.core.user();
        let device = self.core.device();
        self.core.has_identity()
            || self.core.trust().people.get(&me).is_some_and(|p| {
                p.device_list
                    .list
                    .devices
                    .iter()
                    .any(|d| d.device_id == device)
            })
    }

    pub(super) fn require_linked(&self) -> Result<()> {
        if self.is_linked() {
            Ok(())
        } else {
            Err(DeviceError::NotLinked)
        }
    }

    /// Keeps one-time key packages in stock and a last-resort one on the server.
    pub async fn top_up(&mut self) -> Result<()> {
        if !self.is_linked() {
            return Ok(());
        }
        self.upload_key_packages().await
    }

    pub(super) async fn upload_key_packages(&mut self) -> Result<()> {
        let stock: KeyPackageStock = self.get("/key-packages/stock").await?;
        if stock.one_time >= STOCK / 2 && stock.has_last_resort {
            return Ok(());
        }
        let n = STOCK.saturating_sub(stock.one_time) as usize;
        let upload = self.core.key_packages(n, !stock.has_last_resort)?;
        self.persist().await?;
        let _: KeyPackageStock = self.post("/key-packages", &upload).await?;
        Ok(())
    }

    /// Fetches and verifies the identity bundles of these people.
    pub async fn learn(&mut self, users: &[PersonId]) -> Result<()> {
        for chunk in users.chunks(200) {
            if chunk.is_empty() {
                continue;
            }
            let b: IdentityBundles = self
                .get(&format!("/identity/people?ids={}", query_ids(chunk)))
                .await?;
            self.core.learn(&b.bundles)?;
        }
        self.persist().await
    }

    /// [`Device::learn`] where a bundle that does not verify (a changed identity key, a bad
    /// signature) must not stop everything else: it is reported, the rest is learned, and
    /// this device goes on trusting only what it pinned.
    pub(super) async fn learn_or_report(&mut self, users: &[PersonId]) -> Result<()> {
        match self.learn(users).await {
            Err(DeviceError::Core(e)) => {
                if matches!(e, ClientError::IdentityChanged(u) if u == self.core.user()) {
                    self.identity_conflict = true;
                }
                self.host.report(&format!("identity check: {e}"));
                self.persist().await
            }
            other => other,
        }
    }

    /// The safety number with another person, after fetching both identities afresh.
    pub async fn safety_number(&mut self, other: PersonId) -> Result<String> {
        let me = self.core.user();
        self.learn(&[me, other]).await?;
        Ok(self.core.safety_number(other)?)
    }

    /// After a device of this person was revoked: signs and publishes a device list without
    /// it (on devices that hold the identity key), so members drop it from every group.
    pub async fn drop_device(&mut self, device: DeviceId) -> Result<bool> {
        if !self.core.has_identity() {
            return Ok(false);
        }
        let me = self.core.user();
        self.learn(&[me]).await?;
        let listed = self.core.trust().people.get(&me).is_some_and(|p| {
            p.device_list
                .list
                .devices
                .iter()
                .any(|d| d.device_id == device)
        });
        if !listed {
            return Ok(false);
        }
        let publish = self.core.drop_device(device)?;
        self.persist().await?;
        let _: serde_json::Value = self.put("/identity", &publish).await?;
        self.learn(&[me]).await?;
        Ok(true)
    }

    /// Links this new device with the recovery key.
    pub async fn link_with_recovery_key(&mut self, key: &str) -> Result<()> {
        let recovery = crate::RecoveryKey::parse(key)?;
        let backup: RecoveryBackup = self.get("/identity/recovery-backup").await?;
        let me = self.core.user();
        let b: IdentityBundles = self.get(&format!("/identity/people?ids={me}")).await?;
        let current = b
            .bundles
            .into_iter()
            .next()
            .ok_or_else(|| DeviceError::Unexpected("no identity published yet".into()))?;
        let publish =
            self.core
                .link_with_recovery_key(&recovery, backup.sealed.as_slice(), &current)?;
        self.persist().await?;
        let _: serde_json::Value = self.put("/identity", &publish).await?;
        self.learn(&[me]).await?;
        self.top_up().await
    }

    /// Asks to be linked: returns the request and the code to compare on the other device.
    pub async fn request_link(&mut self) -> Result<(LinkRequest, String)> {
        let (body, code) = self.core.start_link()?;
        self.persist().await?;
        // Key packages first, so that the approving device can add this one to the person's
        // conversations right away (others check them against the signed list anyway).
        self.upload_key_packages().await?;
        let req: LinkRequest = self.post("/identity/link-requests", &body).await?;
        Ok((req, code))
    }

    /// Checks whether the link request was approved; finishes linking if so.
    pub async fn poll_link(&mut self) -> Result<bool> {
        let list: LinkRequests = self.get("/identity/link-requests").await?;
        let device = self.core.device();
        let mine = list
            .requests
            .into_iter()
            .find(|r| r.keys.device_id == device && r.status == LinkStatus::Approved);
        let Some(sealed) = mine.and_then(|r| r.sealed) else {
            return Ok(false);
        };
        self.core.finish_link(sealed.as_slice())?;
        self.persist().await?;
        let me = self.core.user();
        self.learn(&[me]).await?;
        self.top_up().await?;
        Ok(true)
    }

    /// Pending link requests of other devices of this person, with their codes.
    pub async fn link_requests(&mut self) -> Result<Vec<(LinkRequest, String)>> {
        let list: LinkRequests = self.get("/identity/link-requests").await?;
        let device = self.core.device();
        Ok(list
            .requests
            .into_iter()
            .filter(|r| r.status == LinkStatus::Pending && r.keys.device_id != device)
            .map(|r| {
                let code = Client::link_code_of(&r);
                (r, code)
            })
            .collect())
    }

    /// Approves a link request after the person typed the code the new device shows, then
    /// adds the new device to this person's conversations.
    pub async fn approve(&mut self, request: &LinkRequest, code: &str) -> Result<()> {
        let me = self.core.user();
        self.learn(&[me]).await?;
        let body = self.core.approve_link(request, code)?;
        self.persist().await?;
        let _: serde_json::Value = self
            .post(
                &format!("/identity/link-requests/{}/approve", request.id),
                &body,
            )
            .await?;
        self.learn(&[me]).await?;
        self.sync().await?;
        Ok(())
    }
}

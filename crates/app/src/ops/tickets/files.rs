//! A ticket's files: kept in the archive when they come, read back for whoever may see the
//! message they came with.

use super::{Upload, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES};
use crate::desk::Attachment;
use crate::{Principal, Refused, System};

impl System {
    /// Keeps `uploads` in the archive; the list the event stores.
    pub(super) async fn keep_uploads(
        &self,
        ticket_hint: &str,
        uploads: Vec<Upload>,
    ) -> Result<String, Refused> {
        if uploads.is_empty() {
            return Ok("[]".to_owned());
        }
        if uploads.len() > MAX_ATTACHMENTS {
            return Err(Refused::invalid(
                "attachments",
                format!("attachments: at most {MAX_ATTACHMENTS} files"),
            ));
        }
        if uploads.iter().map(|u| u.bytes.len()).sum::<usize>() > MAX_ATTACHMENT_BYTES {
            return Err(Refused::invalid(
                "attachments",
                format!(
                    "attachments: at most {} MiB in all",
                    MAX_ATTACHMENT_BYTES >> 20
                ),
            ));
        }
        if !self.archiver.enabled() {
            return Err(Refused::Unavailable(
                "attachments are kept in the archive, and this server has none".to_owned(),
            ));
        }
        let mut list = Vec::with_capacity(uploads.len());
        let mut objects = Vec::with_capacity(uploads.len());
        for u in uploads {
            let key = self.archiver.key(&format!("desk/{ticket_hint}"));
            list.push(Attachment {
                name: u
                    .name
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect(),
                content_type: u.content_type,
                size: u.bytes.len() as u64,
                key: key.clone(),
            });
            objects.push((key, u.bytes));
        }
        self.archiver
            .put_all(objects)
            .await
            .map_err(Refused::Unavailable)?;
        serde_json::to_string(&list).map_err(|e| Refused::Unavailable(e.to_string()))
    }

    /// An attachment of ticket `id` (`key` as the ticket lists it), for whoever may see the
    /// ticket and the message it came with.
    pub async fn ticket_attachment(
        &self,
        who: &Principal,
        id: i64,
        key: &str,
    ) -> Result<(Attachment, Vec<u8>), Refused> {
        let read = self.visible_ticket(who, id).await?;
        let staff = who.role.is_staff();
        let found = read
            .events
            .iter()
            .filter(|e| staff || e.public)
            .flat_map(|e| crate::desk::attachments_of(&e.attachments))
            .find(|a| a.key == key)
            .ok_or_else(|| Refused::NotFound(format!("no attachment `{key}` on T-{id}")))?;
        let bytes = self
            .archiver
            .get(&found.key)
            .await
            .map_err(Refused::Unavailable)?
            .ok_or_else(|| {
                Refused::NotFound(format!("attachment `{key}` is not in the archive"))
            })?;
        Ok((found, bytes))
    }
}

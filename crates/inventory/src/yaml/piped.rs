//! The fast reader on a thread of its own, handing entries over in batches, so that reading
//! a large file and checking what it says run side by side. The nodes come back to the
//! reading thread to be freed there, where they were allocated.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use super::{Entries, FastReader, Node, Stop, TopLevel};

/// Entries per batch: large enough that the channel costs nothing per entry.
const BATCH: usize = 1024;
/// Batches read ahead of the checking.
const AHEAD: usize = 16;

/// What the reading thread hands over, in the order the checking asks for it.
enum Piece<'a> {
    Top(TopLevel<'a>),
    Item(Option<Node<'a>>),
    Unsupported,
}

/// The receiving end, an [`Entries`] for the loader.
pub struct Piped<'a> {
    batches: Receiver<Vec<Piece<'a>>>,
    current: std::vec::IntoIter<Piece<'a>>,
    /// Nodes used, sent back to be freed by the reading thread.
    used: Vec<Node<'a>>,
    back: Sender<Vec<Node<'a>>>,
}

/// Runs `check` on the entries of `reader`, read on another thread meanwhile.
pub fn with_reader_thread<'a, R>(
    reader: FastReader<'a>,
    check: impl FnOnce(&mut Piped<'a>) -> R,
) -> R {
    std::thread::scope(|scope| {
        let (batches_tx, batches) = sync_channel(AHEAD);
        let (back, returned) = channel();
        // Named for profiles. Without a thread to read on, the closure and its sender are
        // dropped: the checking sees the end at once and the full parser reads the file.
        let _ = std::thread::Builder::new()
            .name("yaml-reader".to_owned())
            .spawn_scoped(scope, move || read(reader, batches_tx, returned));
        let mut piped = Piped {
            batches,
            current: Vec::new().into_iter(),
            used: Vec::with_capacity(BATCH),
            back,
        };
        check(&mut piped)
        // Dropping `piped` closes both channels, which ends the reading thread.
    })
}

/// The reading thread: batches of pieces until the document ends or the reader declines.
fn read<'a>(
    mut reader: FastReader<'a>,
    batches: SyncSender<Vec<Piece<'a>>>,
    returned: Receiver<Vec<Node<'a>>>,
) {
    let mut in_list = false;
    let mut finished = false;
    while !finished {
        let mut batch = Vec::with_capacity(BATCH);
        while batch.len() < BATCH && !finished {
            let piece = if in_list {
                match reader.next_item() {
                    Ok(item) => {
                        in_list = item.is_some();
                        Piece::Item(item)
                    }
                    Err(_) => Piece::Unsupported,
                }
            } else {
                match reader.next_top() {
                    Ok(top) => {
                        in_list = matches!(top, TopLevel::List(_));
                        finished = matches!(top, TopLevel::End);
                        Piece::Top(top)
                    }
                    Err(_) => Piece::Unsupported,
                }
            };
            finished |= matches!(piece, Piece::Unsupported);
            batch.push(piece);
        }
        if batches.send(batch).is_err() {
            return;
        }
        while let Ok(used) = returned.try_recv() {
            drop(used);
        }
    }
    // Free what comes back until the checking is done.
    while let Ok(used) = returned.recv() {
        drop(used);
    }
}

impl<'a> Piped<'a> {
    fn next(&mut self) -> Option<Piece<'a>> {
        if let Some(piece) = self.current.next() {
            return Some(piece);
        }
        self.current = self.batches.recv().ok()?.into_iter();
        self.current.next()
    }
}

impl<'a> Entries<'a> for Piped<'a> {
    fn top(&mut self) -> Result<TopLevel<'a>, Stop> {
        match self.next() {
            Some(Piece::Top(top)) => Ok(top),
            // A reading thread that ended early is treated as declining: the full parser reads.
            _ => Err(Stop::Unsupported),
        }
    }

    fn item(&mut self) -> Result<Option<Node<'a>>, Stop> {
        match self.next() {
            Some(Piece::Item(item)) => Ok(item),
            _ => Err(Stop::Unsupported),
        }
    }

    fn ahead(&self, k: usize) -> Option<&Node<'a>> {
        match self.current.as_slice().get(k) {
            Some(Piece::Item(Some(node))) => Some(node),
            _ => None,
        }
    }

    fn done(&mut self, node: Node<'a>) {
        self.used.push(node);
        if self.used.len() == BATCH {
            let used = std::mem::replace(&mut self.used, Vec::with_capacity(BATCH));
            // When the reading thread is gone, the nodes are freed here.
            let _ = self.back.send(used);
        }
    }
}

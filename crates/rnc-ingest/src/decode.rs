//! A reader that checks a source file's bytes as UTF-8 while they stream
//! to the CSV parser, strips a byte-order mark, and finds the line where
//! each record starts.

use std::io::{self, BufRead, Read};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes kept behind the parser for [`TextReader::line_at`] before they
/// are dropped. The CSV parser's record offsets trail what it has read by
/// at most its buffer plus one record, far less than this.
const WINDOW_COMPACT_BYTES: usize = 1 << 20;

/// The first invalid UTF-8 byte of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidUtf8 {
    /// Line of the byte, from 1.
    pub line: u64,
    /// Offset from the start of the file, from 0, counting a byte-order
    /// mark if there is one.
    pub offset: u64,
}

/// Passes a file's text through, after a UTF-8 byte-order mark if there is
/// one, and stops with an [`io::ErrorKind::InvalidData`] error at the first
/// byte that is not UTF-8, whose place [`TextReader::invalid_utf8`] then
/// returns. Offsets given to and returned by its methods count from the
/// first byte after the byte-order mark, as the CSV parser sees the text.
pub(crate) struct TextReader<R> {
    inner: R,
    started: bool,
    /// Length of the byte-order mark that was skipped: 0 or 3.
    bom_len: u64,
    /// Bytes passed on so far.
    passed: u64,
    /// Newlines among the bytes passed on so far.
    passed_newlines: u64,
    /// The end of a multi-byte character cut by a read, checked with the
    /// next bytes.
    pending: Vec<u8>,
    invalid: Option<InvalidUtf8>,
    /// Bytes passed on from offset `window_start`, kept until
    /// [`TextReader::line_at`] has counted their newlines.
    window: Vec<u8>,
    window_start: u64,
    /// Index in `window` up to which newlines are counted in `line`.
    cursor: usize,
    line: u64,
}

impl<R: BufRead> TextReader<R> {
    /// Wraps `inner`, whose buffer must hold at least the 3 bytes of a
    /// byte-order mark.
    pub fn new(inner: R) -> TextReader<R> {
        TextReader {
            inner,
            started: false,
            bom_len: 0,
            passed: 0,
            passed_newlines: 0,
            pending: Vec::new(),
            invalid: None,
            window: Vec::new(),
            window_start: 0,
            cursor: 0,
            line: 1,
        }
    }

    /// The first invalid byte, once reading has stopped on it.
    pub fn invalid_utf8(&self) -> Option<InvalidUtf8> {
        self.invalid
    }

    /// Returns the line of the record the CSV parser reports as starting
    /// at `offset`. Offsets must not decrease from one call to the next.
    ///
    /// The csv crate's own line numbers (csv 1.4) run one line short after
    /// a CRLF line end, because it reports a record as starting at the
    /// `\n` that ends the previous one. Counting `\n` bytes up to the
    /// record's first byte other than `\r` or `\n` gives the line an editor
    /// shows for both line-end styles.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        let relative = offset.saturating_sub(self.window_start) as usize;
        let mut start = relative.min(self.window.len());
        while start < self.window.len()
            && matches!(self.window[start], b'\r' | b'\n')
        {
            start += 1;
        }
        if start > self.cursor {
            self.line += count_newlines(&self.window[self.cursor..start]);
            self.cursor = start;
        }
        if self.cursor >= WINDOW_COMPACT_BYTES {
            self.window.drain(..self.cursor);
            self.window_start += self.cursor as u64;
            self.cursor = 0;
        }
        self.line
    }

    fn skip_bom(&mut self) -> io::Result<()> {
        self.started = true;
        if self.inner.fill_buf()?.starts_with(UTF8_BOM) {
            self.inner.consume(UTF8_BOM.len());
            self.bom_len = UTF8_BOM.len() as u64;
        }
        Ok(())
    }

    /// Checks `bytes`, the next ones to pass on, and returns the first
    /// invalid byte.
    fn check(&self, bytes: &[u8]) -> Result<Vec<u8>, InvalidUtf8> {
        let joined;
        let text = if self.pending.is_empty() {
            bytes
        } else {
            joined = [&self.pending[..], bytes].concat();
            &joined[..]
        };
        let text_start = self.passed - self.pending.len() as u64;
        match std::str::from_utf8(text) {
            Ok(_) => Ok(Vec::new()),
            Err(error) if error.error_len().is_none() => {
                Ok(text[error.valid_up_to()..].to_vec())
            }
            Err(error) => {
                let valid = &text[..error.valid_up_to()];
                // Pending bytes start a multi-byte character, so they hold
                // no newline and every newline before `valid` is counted.
                Err(InvalidUtf8 {
                    line: 1 + self.passed_newlines + count_newlines(valid),
                    offset: self.bom_len + text_start + valid.len() as u64,
                })
            }
        }
    }
}

impl<R: BufRead> Read for TextReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.invalid.is_some() {
            return Err(invalid_data());
        }
        if !self.started {
            self.skip_bom()?;
        }
        let available = self.inner.fill_buf()?;
        let n = available.len().min(out.len());
        if n == 0 {
            if !self.pending.is_empty() {
                // The file ends inside a multi-byte character.
                self.invalid = Some(InvalidUtf8 {
                    line: 1 + self.passed_newlines,
                    offset: self.bom_len + self.passed
                        - self.pending.len() as u64,
                });
                return Err(invalid_data());
            }
            return Ok(0);
        }
        out[..n].copy_from_slice(&available[..n]);
        self.inner.consume(n);
        let bytes = &out[..n];
        match self.check(bytes) {
            Ok(pending) => self.pending = pending,
            Err(invalid) => {
                self.invalid = Some(invalid);
                return Err(invalid_data());
            }
        }
        self.passed += n as u64;
        self.passed_newlines += count_newlines(bytes);
        self.window.extend_from_slice(bytes);
        Ok(n)
    }
}

fn invalid_data() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "invalid UTF-8")
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads everything through a reader that hands out `step` bytes at a
    /// time, so that multi-byte characters are cut between reads.
    fn read_all(bytes: &[u8], step: usize) -> (Vec<u8>, Option<InvalidUtf8>) {
        let inner = io::BufReader::with_capacity(step, bytes);
        let mut reader = TextReader::new(inner);
        let mut out = Vec::new();
        let mut buffer = vec![0; step];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buffer[..n]),
                Err(_) => return (out, reader.invalid_utf8()),
            }
        }
    }

    #[test]
    fn multibyte_characters_cut_between_reads() {
        let text = "é\nHénault,Ça\n€𝄞\n".as_bytes();
        for step in 1..8 {
            let (out, invalid) = read_all(text, step);
            assert_eq!(invalid, None, "step {step}");
            assert_eq!(out, text, "step {step}");
        }
    }

    #[test]
    fn invalid_byte_offset_and_line() {
        // Byte 0xE9 is é in Windows-1252 and invalid alone in UTF-8.
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice("a,b\nc,é\nd,".as_bytes());
        let offset = bytes.len() as u64;
        bytes.extend_from_slice(b"H\xE9nault\n");
        for step in [1, 2, 3, 5, 64] {
            let (_, invalid) = read_all(&bytes, step);
            assert_eq!(
                invalid,
                Some(InvalidUtf8 {
                    line: 3,
                    offset: offset + 1
                }),
                "step {step}"
            );
        }
    }

    #[test]
    fn truncated_character_at_end() {
        let bytes = b"a,b\nc,\xC3";
        let (_, invalid) = read_all(bytes, 4);
        assert_eq!(invalid, Some(InvalidUtf8 { line: 2, offset: 6 }));
    }

    #[test]
    fn bom_is_skipped() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(b"a,b\n");
        let (out, invalid) = read_all(&bytes, 64);
        assert_eq!(invalid, None);
        assert_eq!(out, b"a,b\n");
    }
}

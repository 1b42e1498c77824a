//! Decoding of a text source to UTF-8 as a stream, with the positions that
//! error messages and quarantined rows need.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use encoding_rs::{Decoder, DecoderResult};

use super::TextEncoding;

/// The position and cause of the first bytes that are not text in the
/// expected encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeFailure {
    /// Offset of the first bad byte in the (decompressed) input, from 0,
    /// counting a byte-order mark.
    pub offset: u64,
    /// Line of the first bad byte, from 1.
    pub line: u64,
    /// The encoding the bytes were decoded as.
    pub encoding: TextEncoding,
    /// The bad byte when one byte alone is at fault.
    pub byte: Option<u8>,
}

/// A reader that decodes its input to UTF-8 without replacement: the first
/// byte that is not text in the encoding stops reading with an
/// `InvalidData` error, and [`DecodingReader::failure`] returns where.
///
/// Besides decoding, it rejects NUL bytes in every encoding, because text
/// feeds never contain them and a NUL is the usual sign of UTF-16 without a
/// byte-order mark. For Windows-1252 it rejects the five bytes that the
/// Windows-1252 code page leaves undefined (0x81, 0x8D, 0x8F, 0x90,
/// 0x9D). For ISO-8859-1 it rejects 0x80-0x9F, which are C1 control
/// characters there and so mean the file is really Windows-1252.
pub(crate) struct DecodingReader<R> {
    input: R,
    encoding: TextEncoding,
    decoder: Decoder,
    /// Input bytes consumed so far, a skipped byte-order mark included.
    consumed: u64,
    /// `\n` bytes consumed so far.
    newlines: u64,
    finished: bool,
    failure: Option<DecodeFailure>,
    lines: LineTracker,
    /// UTF-8 bytes decoded so far.
    written: u64,
    /// Decoded bytes, of which `start..` are not yet read.
    decoded: Vec<u8>,
    start: usize,
}

/// Size of the buffer of decoded text.
const DECODED_CHUNK: usize = 32 * 1024;

impl<R: BufRead> DecodingReader<R> {
    /// Wraps `input`, whose first `skipped` bytes (a byte-order mark) were
    /// already consumed.
    pub fn new(input: R, encoding: TextEncoding, skipped: u64) -> Self {
        DecodingReader {
            input,
            encoding,
            decoder: encoding.encoding_rs().new_decoder_without_bom_handling(),
            consumed: skipped,
            newlines: 0,
            finished: false,
            failure: None,
            lines: LineTracker::default(),
            written: 0,
            decoded: Vec::new(),
            start: 0,
        }
    }

    /// Returns the reason reading stopped with `InvalidData`, if it did.
    pub fn failure(&self) -> Option<&DecodeFailure> {
        self.failure.as_ref()
    }

    /// Returns the line, from 1, of the record starting at `byte` of the
    /// decoded output. See [`LineTracker::line_at`].
    pub fn line_at(&mut self, byte: u64) -> u64 {
        self.lines.line_at(byte)
    }

    /// Notes a failure at `at` bytes into `chunk`. A negative `at` is a
    /// malformed sequence that started in the previous chunk.
    fn fail(&mut self, chunk: &[u8], at: i64, byte: Option<u8>) -> io::Error {
        let within = at.max(0) as usize;
        let before = chunk[..within].iter().filter(|b| **b == b'\n').count();
        let failure = DecodeFailure {
            offset: (self.consumed as i64 + at) as u64,
            line: self.newlines + before as u64 + 1,
            encoding: self.encoding,
            byte,
        };
        self.failure = Some(failure);
        io::Error::new(
            io::ErrorKind::InvalidData,
            "input is not text in the declared encoding",
        )
    }
}

impl<R: BufRead> DecodingReader<R> {
    /// Decodes the next input bytes into `self.decoded`, leaving it empty
    /// only at the end of the input.
    fn refill(&mut self) -> io::Result<()> {
        self.decoded.clear();
        self.start = 0;
        self.decoded.resize(DECODED_CHUNK, 0);
        let mut filled = 0;
        while filled == 0 && !self.finished {
            let chunk = self.input.fill_buf()?;
            let last = chunk.is_empty();
            // Check at most as many input bytes as fit decoded (three
            // UTF-8 bytes per input byte at worst), so that a rejected
            // byte is never consumed unchecked.
            let take = chunk.len().min(DECODED_CHUNK / 3);
            let chunk = &chunk[..take];
            if let Some(at) = self.encoding.first_rejected(chunk) {
                let byte = chunk[at];
                let chunk = chunk.to_vec();
                return Err(self.fail(&chunk, at as i64, Some(byte)));
            }
            let (result, read, written) =
                self.decoder.decode_to_utf8_without_replacement(
                    chunk,
                    &mut self.decoded,
                    last,
                );
            if let DecoderResult::Malformed(bad, after) = result {
                let at = read as i64 - i64::from(bad) - i64::from(after);
                let chunk = chunk.to_vec();
                return Err(self.fail(&chunk, at, None));
            }
            self.newlines +=
                memchr::memchr_iter(b'\n', &chunk[..read]).count() as u64;
            self.consumed += read as u64;
            self.input.consume(read);
            self.lines.note(self.written, &self.decoded[..written]);
            self.written += written as u64;
            filled = written;
            if last && matches!(result, DecoderResult::InputEmpty) {
                self.finished = true;
            }
        }
        self.decoded.truncate(filled);
        Ok(())
    }
}

impl<R: BufRead> Read for DecodingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.failure.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "input is not text in the declared encoding",
            ));
        }
        if self.start == self.decoded.len() {
            self.refill()?;
        }
        let available = &self.decoded[self.start..];
        let count = available.len().min(out.len());
        out[..count].copy_from_slice(&available[..count]);
        self.start += count;
        Ok(count)
    }
}

/// Line ends of the decoded text not yet passed by a record, to find the
/// line where each record starts as the text streams by.
///
/// The csv crate's own line numbers (csv 1.4) run one line short after a
/// CRLF line end, because it reports a record as starting at the `\n` that
/// ends the previous one. Counting `\n` bytes up to the record's first
/// byte that is not a line end gives the line an editor shows, for both
/// line-end styles and across blank lines.
#[derive(Debug, Default)]
pub(crate) struct LineTracker {
    /// Offsets of `\r` and `\n` bytes after the last queried record start,
    /// with `true` for `\n`.
    ends: VecDeque<(u64, bool)>,
    /// `\n` bytes before the last queried record start.
    passed: u64,
}

impl LineTracker {
    /// Records the line ends of `text`, which starts at offset `start` of
    /// the decoded output.
    pub fn note(&mut self, start: u64, text: &[u8]) {
        for index in memchr::memchr2_iter(b'\r', b'\n', text) {
            self.ends
                .push_back((start + index as u64, text[index] == b'\n'));
        }
    }

    /// Returns the line, from 1, of the record that the csv reader reports
    /// as starting at `byte`. Offsets must not decrease from one call to
    /// the next, and the text up to the record must have been noted.
    pub fn line_at(&mut self, byte: u64) -> u64 {
        while let Some(&(offset, newline)) = self.ends.front() {
            if offset >= byte {
                break;
            }
            self.passed += u64::from(newline);
            self.ends.pop_front();
        }
        // Line ends right at the reported start come before the record's
        // first byte.
        let mut ahead = 0;
        for (expected, &(offset, newline)) in (byte..).zip(&self.ends) {
            if offset != expected {
                break;
            }
            ahead += u64::from(newline);
        }
        self.passed + ahead + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(
        bytes: &[u8],
        encoding: TextEncoding,
    ) -> Result<String, DecodeFailure> {
        let mut reader = DecodingReader::new(bytes, encoding, 0);
        let mut text = String::new();
        match reader.read_to_string(&mut text) {
            Ok(_) => Ok(text),
            Err(_) => Err(reader.failure().cloned().expect("failure noted")),
        }
    }

    #[test]
    fn windows_1252_bytes_decode() {
        // Windows-1252 code page: 0xE9 is é, 0x80 is the euro sign and
        // 0x9C is œ.
        let text =
            decode(b"H\xE9nault \x80 \x9Cuvre", TextEncoding::Windows1252);
        assert_eq!(text.unwrap(), "Hénault € œuvre");
    }

    #[test]
    fn latin1_rejects_c1_controls() {
        // ISO-8859-1 maps 0x80-0x9F to C1 controls, never used in text.
        let failure = decode(b"ab\ncd\x80", TextEncoding::Latin1).unwrap_err();
        assert_eq!(failure.offset, 5);
        assert_eq!(failure.line, 2);
        assert_eq!(failure.byte, Some(0x80));
        assert_eq!(decode(b"\xE9t\xE9", TextEncoding::Latin1).unwrap(), "été");
    }

    #[test]
    fn windows_1252_rejects_undefined_byte() {
        // 0x81 has no character in the Windows-1252 code page.
        let failure =
            decode(b"x\n\n\x81", TextEncoding::Windows1252).unwrap_err();
        assert_eq!(failure.offset, 3);
        assert_eq!(failure.line, 3);
    }

    #[test]
    fn utf8_failure_offset_in_long_input() {
        // An invalid byte far past the first read buffer.
        let mut bytes = "é\n".repeat(50_000).into_bytes();
        let offset = bytes.len() as u64;
        bytes.push(0xE9);
        bytes.extend_from_slice(b"nault\n");
        let failure = decode(&bytes, TextEncoding::Utf8).unwrap_err();
        assert_eq!(failure.offset, offset);
        assert_eq!(failure.line, 50_001);
        assert_eq!(failure.byte, None);
    }

    #[test]
    fn nul_byte_is_rejected() {
        let failure = decode(b"a\0b", TextEncoding::Utf8).unwrap_err();
        assert_eq!(failure.offset, 1);
        assert_eq!(failure.byte, Some(0));
    }

    #[test]
    fn tracker_skips_line_ends_before_record() {
        let text = b"h\r\na\r\n\r\nb\nc";
        let mut tracker = LineTracker::default();
        tracker.note(0, text);
        // csv reports records as starting at the `\n` of the CRLF before
        // them; the blank line before `b` is skipped.
        assert_eq!(tracker.line_at(0), 1);
        assert_eq!(tracker.line_at(2), 2);
        assert_eq!(tracker.line_at(5), 4);
        assert_eq!(tracker.line_at(10), 5);
    }
}

use super::*;

/// Feeds `chunks` one after the other, decoding after each, and returns every payload
/// decoded and the error that stopped decoding, if any.
fn feed<'a>(
    decoder: &mut FrameDecoder,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<Bytes>, Option<FrameError>, BytesMut) {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(err) => return (frames, Some(err), buf),
            }
        }
    }
    (frames, None, buf)
}

fn all(bytes: &[u8]) -> (Vec<Bytes>, Option<FrameError>, BytesMut) {
    feed(&mut FrameDecoder::new(1 << 20), [bytes])
}

#[test]
fn one_frame() {
    let (frames, err, rest) = all(b"\x0bMSH|^~\\&|A\r\x1c\x0d");
    assert_eq!(frames, vec![Bytes::from_static(b"MSH|^~\\&|A\r")]);
    assert_eq!(err, None);
    assert!(rest.is_empty());
}

#[test]
fn an_empty_payload_is_a_frame() {
    let (frames, err, _) = all(b"\x0b\x1c\x0d");
    assert_eq!(frames, vec![Bytes::new()]);
    assert_eq!(err, None);
}

#[test]
fn several_frames_in_one_read() {
    let (frames, err, rest) = all(b"\x0bone\x1c\x0d\x0btwo\x1c\x0d\x0bthree\x1c\x0d\x0bfou");
    assert_eq!(frames, vec!["one", "two", "three"]);
    assert_eq!(err, None);
    assert_eq!(
        &rest[..],
        b"\x0bfou",
        "the partial fourth frame waits for more"
    );
}

#[test]
fn a_frame_split_over_many_reads_at_every_point() {
    let stream: &[u8] = b"\x0bMSH|1\rPID|2\r\x1c\x0d\x0bMSH|3\r\x1c\x0d";
    // Every split of the stream into two reads, then one byte per read.
    for cut in 0..=stream.len() {
        let (frames, err, rest) =
            feed(&mut FrameDecoder::new(64), [&stream[..cut], &stream[cut..]]);
        assert_eq!(frames, vec!["MSH|1\rPID|2\r", "MSH|3\r"], "cut at {cut}");
        assert_eq!(err, None, "cut at {cut}");
        assert!(rest.is_empty(), "cut at {cut}");
    }
    let (frames, err, _) = feed(&mut FrameDecoder::new(64), stream.chunks(1));
    assert_eq!(frames, vec!["MSH|1\rPID|2\r", "MSH|3\r"]);
    assert_eq!(err, None);
}

#[test]
fn the_end_block_and_its_carriage_return_in_different_reads() {
    let mut decoder = FrameDecoder::new(64);
    let mut buf = BytesMut::from(&b"\x0babc\x1c"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(None),
        "asking again changes nothing"
    );
    buf.extend_from_slice(b"\x0d");
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(Some(Bytes::from_static(b"abc")))
    );
    assert!(buf.is_empty());
}

#[test]
fn line_breaks_inside_the_payload_are_kept_as_sent() {
    let payload: &[u8] = b"MSH|^~\\&|A\r\nPID|1\nOBX|2\r";
    let (frames, err, _) = all(&encode(payload));
    assert_eq!(frames, vec![Bytes::copy_from_slice(payload)]);
    assert_eq!(err, None);
}

#[test]
fn bytes_before_a_start_block_are_an_error() {
    let (frames, err, _) = all(b"MSH|A\x0bx\x1c\x0d");
    assert!(frames.is_empty());
    assert_eq!(err, Some(FrameError::BytesBeforeStart { byte: b'M' }));
    // Between two frames too, a line break included.
    let (frames, err, _) = all(b"\x0bone\x1c\x0d\n\x0btwo\x1c\x0d");
    assert_eq!(frames, vec!["one"]);
    assert_eq!(err, Some(FrameError::BytesBeforeStart { byte: b'\n' }));
}

#[test]
fn an_end_block_without_a_start_is_an_error() {
    let (frames, err, _) = all(b"\x1c\x0d");
    assert!(frames.is_empty());
    assert_eq!(err, Some(FrameError::EndWithoutStart));
    // A doubled trailer after a good frame.
    let (frames, err, _) = all(b"\x0bone\x1c\x0d\x1c\x0d");
    assert_eq!(frames, vec!["one"]);
    assert_eq!(err, Some(FrameError::EndWithoutStart));
}

#[test]
fn a_start_block_inside_a_frame_is_an_error() {
    let (frames, err, _) = all(b"\x0bone\x0btwo\x1c\x0d");
    assert!(frames.is_empty());
    assert_eq!(err, Some(FrameError::StartInsideFrame { payload_bytes: 3 }));
    // Found in a later read than the frame's start.
    let (_, err, _) = feed(&mut FrameDecoder::new(64), [&b"\x0bon"[..], b"e\x0b"]);
    assert_eq!(err, Some(FrameError::StartInsideFrame { payload_bytes: 3 }));
}

#[test]
fn an_end_block_must_be_followed_by_a_carriage_return() {
    let (frames, err, _) = all(b"\x0bone\x1cx\x0bt\x1c\x0d");
    assert!(frames.is_empty());
    assert_eq!(err, Some(FrameError::BadTrailer { byte: b'x' }));
    let (_, err, _) = feed(&mut FrameDecoder::new(64), [&b"\x0bone\x1c"[..], b"\n"]);
    assert_eq!(err, Some(FrameError::BadTrailer { byte: b'\n' }));
}

#[test]
fn the_limit_counts_payload_bytes() {
    let mut decoder = FrameDecoder::new(4);
    assert_eq!(decoder.max_payload(), 4);
    let (frames, err, _) = feed(&mut decoder, [&b"\x0b1234\x1c\x0d"[..]]);
    assert_eq!(frames, vec!["1234"], "exactly the limit is accepted");
    assert_eq!(err, None);
    let (frames, err, _) = feed(&mut FrameDecoder::new(4), [&b"\x0b12345\x1c\x0d"[..]]);
    assert!(frames.is_empty());
    assert_eq!(err, Some(FrameError::TooLarge { limit: 4 }));
    let (frames, err, _) = feed(&mut FrameDecoder::new(0), [&b"\x0b\x1c\x0d\x0b1"[..]]);
    assert_eq!(frames, vec![""], "a limit of zero still takes empty frames");
    assert_eq!(err, Some(FrameError::TooLarge { limit: 0 }));
}

#[test]
fn an_oversized_frame_is_refused_before_its_end_arrives() {
    let mut decoder = FrameDecoder::new(8);
    let mut buf = BytesMut::from(&b"\x0b12345678"[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(None),
        "at the limit it may still end"
    );
    buf.extend_from_slice(b"9");
    assert_eq!(
        decoder.decode(&mut buf),
        Err(FrameError::TooLarge { limit: 8 })
    );
    // The same when the bytes come one per read.
    let mut stream = vec![START_BLOCK];
    stream.extend_from_slice(&[b'x'; 100]);
    let (_, err, rest) = feed(&mut FrameDecoder::new(8), stream.chunks(1));
    assert_eq!(err, Some(FrameError::TooLarge { limit: 8 }));
    assert_eq!(rest.len(), 10, "nothing past the limit was buffered");
}

#[test]
fn the_frame_after_a_decoded_one_is_scanned_from_its_start() {
    // A long frame scanned partly, then a short one: the second scan must not reuse the
    // first frame's progress.
    let mut decoder = FrameDecoder::new(64);
    let mut buf = BytesMut::from(&b"\x0babcdefgh"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"\x1c\x0d\x0bx\x1c\x0d");
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(Some(Bytes::from_static(b"abcdefgh")))
    );
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Bytes::from_static(b"x"))));
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn encode_frames_a_payload() {
    assert_eq!(&encode(b"ACK")[..], b"\x0bACK\x1c\x0d");
    assert_eq!(&encode(b"")[..], b"\x0b\x1c\x0d");
}

#[test]
fn errors_read_as_sentences() {
    assert_eq!(
        FrameError::BytesBeforeStart { byte: b'M' }.to_string(),
        "byte 0x4D where a frame should start (0x0B)"
    );
    assert_eq!(
        FrameError::TooLarge { limit: 10 }.to_string(),
        "frame longer than the limit of 10 bytes"
    );
}

/// A bounded fuzz test: seeded random streams, cut into random reads.
mod fuzz {
    use super::*;

    /// SplitMix64: enough randomness for a reproducible fuzz without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// A byte, often one of the framing bytes or a line break.
        fn byte(&mut self) -> u8 {
            match self.below(10) {
                0 => START_BLOCK,
                1 => END_BLOCK,
                2 => CARRIAGE_RETURN,
                3 => b'\n',
                _ => self.next() as u8,
            }
        }

        /// A payload byte: anything but the two blocks.
        fn payload_byte(&mut self) -> u8 {
            loop {
                let b = self.byte();
                if b != START_BLOCK && b != END_BLOCK {
                    return b;
                }
            }
        }
    }

    /// `stream` cut into reads of random sizes (often 1 byte, sometimes large).
    fn random_chunks<'a>(rng: &mut Rng, stream: &'a [u8]) -> Vec<&'a [u8]> {
        let mut chunks = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let size = match rng.below(4) {
                0 => 1,
                1 => 1 + rng.below(4),
                2 => 1 + rng.below(64),
                _ => 1 + rng.below(stream.len()),
            };
            let end = (at + size).min(stream.len());
            chunks.push(&stream[at..end]);
            at = end;
        }
        chunks
    }

    #[test]
    fn valid_frames_then_random_bytes_decode_the_same_however_they_are_cut() {
        const LIMIT: usize = 48;
        let mut rng = Rng(0x6E6F_6D6E_6F6D_4D4C);
        for round in 0..3_000 {
            let mut stream = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..rng.below(6) {
                // Mostly within the limit, sometimes exactly at it.
                let len = if rng.below(8) == 0 {
                    LIMIT
                } else {
                    rng.below(LIMIT)
                };
                let payload: Vec<u8> = (0..len).map(|_| rng.payload_byte()).collect();
                stream.extend_from_slice(&encode(&payload));
                expected.push(Bytes::from(payload));
            }
            let tail_len = match rng.below(3) {
                0 => 0,
                1 => rng.below(8),
                _ => rng.below(3 * LIMIT),
            };
            stream.extend((0..tail_len).map(|_| rng.byte()));

            let whole = feed(&mut FrameDecoder::new(LIMIT), [&stream[..]]);
            let chunks = random_chunks(&mut rng, &stream);
            let cut = feed(&mut FrameDecoder::new(LIMIT), chunks.iter().copied());
            assert_eq!(cut.0, whole.0, "round {round}: frames depend on the reads");
            assert_eq!(cut.1, whole.1, "round {round}: error depends on the reads");
            assert!(
                whole.0.len() >= expected.len(),
                "round {round}: {} frames of {} decoded before {:?}",
                whole.0.len(),
                expected.len(),
                whole.1
            );
            assert_eq!(
                whole.0[..expected.len()],
                expected[..],
                "round {round}: valid frames altered"
            );
            for frame in &whole.0[expected.len()..] {
                assert!(frame.len() <= LIMIT, "round {round}");
                assert!(
                    !frame.contains(&START_BLOCK) && !frame.contains(&END_BLOCK),
                    "round {round}: a frame from the tail holds a block byte"
                );
            }
            if tail_len == 0 {
                assert_eq!(whole.1, None, "round {round}");
                assert!(whole.2.is_empty(), "round {round}");
            }
            if cut.1.is_none() {
                // What waits for more bytes is at most one frame at the limit, unended.
                assert!(cut.2.len() <= LIMIT + 2, "round {round}");
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_and_agree_across_cuts() {
        let mut rng = Rng(0x4D4C_4C50_2D66_757A);
        for round in 0..3_000 {
            let len = rng.below(200);
            let stream: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            let limit = rng.below(64);
            let whole = feed(&mut FrameDecoder::new(limit), [&stream[..]]);
            let chunks = random_chunks(&mut rng, &stream);
            let cut = feed(&mut FrameDecoder::new(limit), chunks.iter().copied());
            assert_eq!((&cut.0, &cut.1), (&whole.0, &whole.1), "round {round}");
            // Every frame decoded re-encodes to a prefix of the stream, in order.
            let mut reencoded = Vec::new();
            for frame in &whole.0 {
                reencoded.extend_from_slice(&encode(frame));
            }
            assert!(stream.starts_with(&reencoded), "round {round}");
            if cut.1.is_none() {
                assert!(cut.2.len() <= limit + 2, "round {round}");
            }
        }
    }
}

//! Segment groups, as the model reads them: a root's list with `hl7: OBR` is every OBR of the
//! message ([`Message::segments_of`]); a list with `hl7: OBX` inside the entity of OBR rows is
//! the OBX segments after that OBR up to the next OBR, or up to a segment of a type that opens
//! a group at any outer level ([`Message::segments_after`]).

use super::message::{Message, Segment};
use super::path::SegmentId;

impl<'a> Message<'a> {
    /// The segments of type `id`, in message order.
    pub fn segments_of(&self, id: SegmentId) -> impl Iterator<Item = Segment<'a>> + '_ {
        (0..self.segment_count())
            .filter(move |&i| self.segment_id(i) == Some(id))
            .filter_map(|i| self.segment(i))
    }

    /// The segments of type `member` that follow `after`, up to (not including) the first
    /// segment whose type is in `until`, or the end of the message. For OBX results under an
    /// OBR order inside a PID patient: `segments_after(&obr, OBX, &[OBR, PID])`.
    ///
    /// `after` must be a segment of this message (its position is what counts).
    pub fn segments_after<'s>(
        &'s self,
        after: &Segment<'a>,
        member: SegmentId,
        until: &'s [SegmentId],
    ) -> impl Iterator<Item = Segment<'a>> + 's {
        (after.index() + 1..self.segment_count())
            .map_while(move |i| {
                let id = self.segment_id(i)?;
                (!until.contains(&id)).then_some((i, id))
            })
            .filter(move |&(_, id)| id == member)
            .filter_map(|(i, _)| self.segment(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hl7::Path;

    const fn id(bytes: [u8; 3]) -> SegmentId {
        match SegmentId::from_bytes(bytes) {
            Some(id) => id,
            None => panic!("not a segment ID"),
        }
    }
    const OBR: SegmentId = id(*b"OBR");
    const OBX: SegmentId = id(*b"OBX");
    const NTE: SegmentId = id(*b"NTE");
    const PID: SegmentId = id(*b"PID");

    /// Two patients; the first has two orders (two results, then none), the second one order
    /// with one result. NTEs sit between results.
    const BODY: &str = "MSH|^~\\&|LAB||||20240101||ORU^R01|1|P|2.5\r\
        PID|1||P1\r\
        OBR|1|||A\r\
        OBX|1|NM|a1||1\r\
        NTE|1||note on a1\r\
        OBX|2|NM|a2||2\r\
        OBR|2|||B\r\
        PID|2||P2\r\
        OBR|1|||C\r\
        OBX|1|NM|c1||3\r";

    fn ids<'a>(segments: impl Iterator<Item = Segment<'a>>) -> Vec<String> {
        let path = Path::parse("OBX-3").unwrap();
        segments
            .map(|s| match s.id() {
                id if id == OBX => s.get(&path).text().unwrap_or("").to_string(),
                id => format!("{id}#{}", s.index()),
            })
            .collect()
    }

    #[test]
    fn a_root_list_reads_every_segment_of_its_type() {
        let m = Message::parse(BODY).unwrap();
        assert_eq!(ids(m.segments_of(OBR)), ["OBR#2", "OBR#6", "OBR#8"]);
        assert_eq!(ids(m.segments_of(OBX)), ["a1", "a2", "c1"]);
        assert_eq!(m.segments_of(SegmentId::parse("ZZZ").unwrap()).count(), 0);
    }

    #[test]
    fn a_nested_list_reads_its_segments_up_to_the_next_group() {
        let m = Message::parse(BODY).unwrap();
        let orders: Vec<_> = m.segments_of(OBR).collect();
        let results = |obr: &Segment<'_>| ids(m.segments_after(obr, OBX, &[OBR, PID]));
        assert_eq!(results(&orders[0]), ["a1", "a2"]);
        assert_eq!(results(&orders[1]), Vec::<String>::new());
        assert_eq!(results(&orders[2]), ["c1"]);
        // Without the outer level, the second order would not stop at PID: same result here
        // because no OBX sits between B and the next OBR.
        assert_eq!(
            ids(m.segments_after(&orders[1], OBX, &[OBR])),
            Vec::<String>::new()
        );
        // Patients own their orders up to the next patient.
        let patients: Vec<_> = m.segments_of(PID).collect();
        assert_eq!(
            ids(m.segments_after(&patients[0], OBR, &[PID])),
            ["OBR#2", "OBR#6"]
        );
        assert_eq!(ids(m.segments_after(&patients[1], OBR, &[PID])), ["OBR#8"]);
        // Notes under a result, up to the next result or order.
        let a1 = m.segments_of(OBX).next().unwrap();
        assert_eq!(ids(m.segments_after(&a1, NTE, &[OBX, OBR, PID])), ["NTE#4"]);
    }
}

//! Laterality and stage of a tumour, coded as in the ENCR-JRC call for
//! data (items 23 `Laterality`, 29-37 TNM and 46 `EoD`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::CodeError;

/// Side of a paired organ on which a tumour arose (ICD-O-3 and ENCR-JRC
/// laterality codes).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
pub enum Laterality {
    /// 0: the organ is not paired.
    NotPaired,
    /// 1: right.
    Right,
    /// 2: left.
    Left,
    /// 3: one side, which side unknown.
    UnilateralSideUnknown,
    /// 4: both sides.
    Bilateral,
    /// 9: unknown.
    Unknown,
}

impl Laterality {
    /// Parses the one-digit code.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidLaterality`] for anything but 0-4 and 9.
    pub fn from_code(code: u8) -> Result<Laterality, CodeError> {
        match code {
            0 => Ok(Laterality::NotPaired),
            1 => Ok(Laterality::Right),
            2 => Ok(Laterality::Left),
            3 => Ok(Laterality::UnilateralSideUnknown),
            4 => Ok(Laterality::Bilateral),
            9 => Ok(Laterality::Unknown),
            _ => Err(CodeError::InvalidLaterality),
        }
    }

    /// The one-digit code.
    pub fn code(self) -> u8 {
        match self {
            Laterality::NotPaired => 0,
            Laterality::Right => 1,
            Laterality::Left => 2,
            Laterality::UnilateralSideUnknown => 3,
            Laterality::Bilateral => 4,
            Laterality::Unknown => 9,
        }
    }

    /// Combines the lateralities that several records of one tumour of a
    /// paired organ state. IARC/IACR 2004 rule 3 counts one tumour per
    /// pair of organs, so a right and a left record make one bilateral
    /// tumour. A known side wins over 3 (side unknown), which wins over 9
    /// (unknown). Returns `None` when no record states a laterality.
    pub fn combine(
        lateralities: impl IntoIterator<Item = Laterality>,
    ) -> Option<Laterality> {
        let stated: Vec<Laterality> = lateralities.into_iter().collect();
        let has = |side: Laterality| stated.contains(&side);
        if has(Laterality::Bilateral)
            || (has(Laterality::Right) && has(Laterality::Left))
        {
            return Some(Laterality::Bilateral);
        }
        [
            Laterality::Right,
            Laterality::Left,
            Laterality::UnilateralSideUnknown,
            Laterality::NotPaired,
            Laterality::Unknown,
        ]
        .into_iter()
        .find(|side| has(*side))
    }
}

/// Summary extent of disease at diagnosis (ENCR-JRC item 46 `EoD`). Code
/// 9 (unknown) is an absent value.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
pub enum SummaryStage {
    /// 1: confined to the organ of origin.
    Localised,
    /// 2: adjacent tissues or regional lymph nodes.
    Regional,
    /// 3: distant organs.
    Distant,
    /// 4: not confined, regional or distant not specified.
    NotConfined,
    /// 5: not distant, localised or regional not specified.
    NotDistant,
}

impl SummaryStage {
    /// Parses the one-digit code; 9 (unknown) gives `Ok(None)`.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidSummaryStage`] for anything but 1-5 and 9.
    pub fn from_code(code: u8) -> Result<Option<SummaryStage>, CodeError> {
        match code {
            1 => Ok(Some(SummaryStage::Localised)),
            2 => Ok(Some(SummaryStage::Regional)),
            3 => Ok(Some(SummaryStage::Distant)),
            4 => Ok(Some(SummaryStage::NotConfined)),
            5 => Ok(Some(SummaryStage::NotDistant)),
            9 => Ok(None),
            _ => Err(CodeError::InvalidSummaryStage),
        }
    }

    /// The one-digit code.
    pub fn code(self) -> u8 {
        match self {
            SummaryStage::Localised => 1,
            SummaryStage::Regional => 2,
            SummaryStage::Distant => 3,
            SummaryStage::NotConfined => 4,
            SummaryStage::NotDistant => 5,
        }
    }
}

/// Whether a TNM classification was made clinically (cTNM) or on the
/// pathological examination of the resected specimen (pTNM).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
pub enum TnmBasis {
    /// cTNM, from examination, imaging, endoscopy or biopsy.
    Clinical,
    /// pTNM, which the UICC TNM rules prefer to cTNM when both exist.
    Pathological,
}

/// A TNM classification of malignant tumours (UICC), with the categories
/// written without their `c`/`p` prefix, e.g. `T2a`, `N1`, `M0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tnm {
    /// Clinical or pathological classification.
    pub basis: TnmBasis,
    /// T category, e.g. `T2a`, `Tis`, `TX`.
    pub t: Option<String>,
    /// N category, e.g. `N1`, `NX`.
    pub n: Option<String>,
    /// M category, `M0`, `M1`, `M1a`-`M1c`, `MX`.
    pub m: Option<String>,
    /// Stage group, e.g. `IIA`, `IV`, `0`.
    pub stage_group: Option<String>,
    /// TNM edition, 5 to 8.
    pub edition: Option<u8>,
}

impl Tnm {
    /// Reads the TNM items of a record: each category may carry its
    /// `c`/`p` prefix (and the `y`, `r` or `a` descriptors before it),
    /// which must agree with `basis` when given.
    ///
    /// # Errors
    ///
    /// [`CodeError::InvalidTnm`] when a category does not have the UICC
    /// form, a prefix contradicts `basis`, or the edition is not 5-8.
    pub fn parse(
        basis: TnmBasis,
        t: Option<&str>,
        n: Option<&str>,
        m: Option<&str>,
        stage_group: Option<&str>,
        edition: Option<u8>,
    ) -> Result<Tnm, CodeError> {
        if edition.is_some_and(|e| !(5..=8).contains(&e)) {
            return Err(CodeError::InvalidTnm("edition"));
        }
        let t = category(basis, t, 'T', "T")?;
        let n = category(basis, n, 'N', "N")?;
        let m = category(basis, m, 'M', "M")?;
        let stage_group =
            match stage_group.map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(text) if is_stage_group(text) => Some(text.to_string()),
                Some(_) => return Err(CodeError::InvalidTnm("stage group")),
            };
        Ok(Tnm {
            basis,
            t,
            n,
            m,
            stage_group,
            edition,
        })
    }

    /// Whether the classification states anything but unknown categories.
    pub fn is_informative(&self) -> bool {
        let known = |c: &Option<String>| {
            c.as_deref().is_some_and(|c| !c.ends_with('X'))
        };
        known(&self.t)
            || known(&self.n)
            || known(&self.m)
            || self.stage_group.is_some()
    }
}

impl fmt::Display for Tnm {
    /// Writes e.g. `pT2 pN1 M0 stage IIB (TNM 8)`, leaving out absent
    /// items.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.basis {
            TnmBasis::Clinical => 'c',
            TnmBasis::Pathological => 'p',
        };
        // The prefix goes on T and N only, because UICC TNM 8 has no pM0.
        let mut parts: Vec<String> = [&self.t, &self.n]
            .into_iter()
            .flatten()
            .map(|c| format!("{prefix}{c}"))
            .collect();
        parts.extend(self.m.clone());
        if let Some(group) = &self.stage_group {
            parts.push(format!("stage {group}"));
        }
        if let Some(edition) = self.edition {
            parts.push(format!("(TNM {edition})"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// Stage of a tumour at diagnosis: its TNM classification, its summary
/// extent of disease, or both.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize,
)]
pub struct Stage {
    /// TNM classification.
    pub tnm: Option<Tnm>,
    /// Summary extent of disease.
    pub summary: Option<SummaryStage>,
}

impl Stage {
    /// Whether the stage states nothing known.
    pub fn is_empty(&self) -> bool {
        !self.tnm.as_ref().is_some_and(Tnm::is_informative)
            && self.summary.is_none()
    }
}

/// Reads one category (`T`, `N` or `M`) and drops its prefixes.
fn category(
    basis: TnmBasis,
    text: Option<&str>,
    letter: char,
    item: &'static str,
) -> Result<Option<String>, CodeError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let start = text.find(letter).ok_or(CodeError::InvalidTnm(item))?;
    let (prefix, rest) = text.split_at(start);
    let prefix_ok = prefix
        .chars()
        .all(|c| matches!(c, 'y' | 'r' | 'a' | 'c' | 'p'));
    let contradicts = match basis {
        TnmBasis::Clinical => prefix.contains('p'),
        TnmBasis::Pathological => prefix.contains('c'),
    };
    if !prefix_ok || contradicts || !is_category(letter, &rest[1..]) {
        return Err(CodeError::InvalidTnm(item));
    }
    Ok(Some(rest.to_string()))
}

/// Whether `value` (the text after the letter) is a UICC TNM value: `X`,
/// a digit in range with an optional sub-letter `a`-`d` and an optional
/// digit (`T1mi` also), or `is` for T.
fn is_category(letter: char, value: &str) -> bool {
    if value == "X" || (letter == 'T' && (value == "is" || value == "1mi")) {
        return true;
    }
    let mut chars = value.chars();
    let max = match letter {
        'T' => '4',
        'N' => '3',
        _ => '1',
    };
    let Some(first) = chars.next() else {
        return false;
    };
    if !('0'..=max).contains(&first) {
        return false;
    }
    let rest: String = chars.collect();
    let mut rest = rest.chars();
    match (rest.next(), rest.next(), rest.next()) {
        (None, _, _) => true,
        (Some(sub), None, _) => ('a'..='d').contains(&sub),
        (Some(sub), Some(digit), None) => {
            ('a'..='d').contains(&sub) && digit.is_ascii_digit()
        }
        _ => false,
    }
}

/// Whether `text` is a TNM stage group: `0`, `0a`, `0is`, or a Roman
/// numeral I-IV with an optional letter A-C and digit, e.g. `IIIC1`.
fn is_stage_group(text: &str) -> bool {
    if matches!(text, "0" | "0a" | "0is" | "X") {
        return true;
    }
    let numeral_end = text
        .find(|c: char| c != 'I' && c != 'V')
        .unwrap_or(text.len());
    let (numeral, rest) = text.split_at(numeral_end);
    if !matches!(numeral, "I" | "II" | "III" | "IV") {
        return false;
    }
    let mut chars = rest.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (None, _, _) => true,
        (Some(letter), None, _) => ('A'..='C').contains(&letter),
        (Some(letter), Some(digit), None) => {
            ('A'..='C').contains(&letter) && ('1'..='3').contains(&digit)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values: ENCR-JRC call for data, item 23 (laterality 0-4,
    // 9 missing) and IARC/IACR 2004 rule 3 (one tumour per pair of organs).
    #[test]
    fn laterality_combines_sides() {
        use Laterality::*;
        assert_eq!(Laterality::combine([Right, Left]), Some(Bilateral));
        assert_eq!(Laterality::combine([Right, Unknown]), Some(Right));
        assert_eq!(
            Laterality::combine([UnilateralSideUnknown, Left]),
            Some(Left)
        );
        assert_eq!(Laterality::combine([Unknown]), Some(Unknown));
        assert_eq!(Laterality::combine([]), None);
        for code in [0, 1, 2, 3, 4, 9] {
            assert_eq!(Laterality::from_code(code).unwrap().code(), code);
        }
        assert!(Laterality::from_code(5).is_err());
    }

    // Expected values: UICC TNM Classification of Malignant Tumours, 8th
    // edition, category forms (T0-T4 with sub-letters, Tis, TX; N0-N3;
    // M0-M1c) and stage groups (0, I-IV with A-C and 1-3).
    #[test]
    fn tnm_parses_uicc_forms() {
        let tnm = Tnm::parse(
            TnmBasis::Pathological,
            Some("pT2a"),
            Some("N1"),
            Some("cM0"),
            Some("IIB"),
            Some(8),
        );
        assert_eq!(tnm, Err(CodeError::InvalidTnm("M")));
        let tnm = Tnm::parse(
            TnmBasis::Pathological,
            Some("ypT2a"),
            Some("pN1"),
            Some("M0"),
            Some("IIIC1"),
            Some(8),
        )
        .unwrap();
        assert_eq!(tnm.t.as_deref(), Some("T2a"));
        assert_eq!(tnm.to_string(), "pT2a pN1 M0 stage IIIC1 (TNM 8)");
        assert!(tnm.is_informative());
        let bad = |t: &str| {
            Tnm::parse(TnmBasis::Clinical, Some(t), None, None, None, None)
        };
        assert!(bad("T5").is_err());
        assert!(bad("Tx").is_err());
        assert!(bad("cTis").is_ok());
        assert!(bad("T1mi").is_ok());
        assert!(
            Tnm::parse(TnmBasis::Clinical, None, None, Some("M2"), None, None)
                .is_err()
        );
        assert!(
            Tnm::parse(TnmBasis::Clinical, None, None, None, Some("V"), None)
                .is_err()
        );
        assert!(
            Tnm::parse(TnmBasis::Clinical, None, None, None, None, Some(4))
                .is_err()
        );
        let unknown = Tnm::parse(
            TnmBasis::Clinical,
            Some("TX"),
            Some("NX"),
            Some("MX"),
            None,
            None,
        )
        .unwrap();
        assert!(!unknown.is_informative());
    }

    // Expected values: ENCR-JRC call for data, item 46 (EoD 1-5, 9
    // unknown).
    #[test]
    fn summary_stage_codes() {
        for code in 1..=5 {
            assert_eq!(
                SummaryStage::from_code(code).unwrap().unwrap().code(),
                code
            );
        }
        assert_eq!(SummaryStage::from_code(9), Ok(None));
        assert!(SummaryStage::from_code(0).is_err());
    }
}

//! Made-up French identities: surnames, first names by birth cohort, and the
//! spelling noise that real feeds carry (typos, letter case, accents).

use rand::Rng;
use unicode_normalization::UnicodeNormalization;

/// Surnames in decreasing order of frequency, written in upper case with
/// their accents.
///
/// The head of the list follows the most frequent surnames of people born
/// in France, as ranked from INSEE civil-status files. The tail adds
/// regional names (Breton, Alsatian, Basque, Corsican, Réunion), names of
/// immigrant origin, particles, compound names and apostrophes. Frequencies
/// are assigned by rank (see [`draw_surname`]), not taken from INSEE.
const SURNAMES: &str = "MARTIN,BERNARD,THOMAS,PETIT,ROBERT,RICHARD,DURAND,DUBOIS,MOREAU,LAURENT,\
SIMON,MICHEL,LEFÈVRE,LEROY,ROUX,DAVID,BERTRAND,MOREL,FOURNIER,GIRARD,\
BONNET,DUPONT,LAMBERT,FONTAINE,ROUSSEAU,VINCENT,MULLER,LEFEBVRE,FAURE,ANDRÉ,\
MERCIER,BLANC,GUÉRIN,BOYER,GARNIER,CHEVALIER,FRANÇOIS,LEGRAND,GAUTHIER,GARCIA,\
PERRIN,ROBIN,CLÉMENT,MORIN,NICOLAS,HENRY,ROUSSEL,MATHIEU,GAUTIER,MASSON,\
MARCHAND,DUVAL,DENIS,DUMONT,MARIE,LEMAIRE,NOËL,MEYER,DUFOUR,MEUNIER,\
BRUN,BLANCHARD,GIRAUD,JOLY,RIVIÈRE,LUCAS,BRUNET,GAILLARD,BARBIER,ARNAUD,\
MARTINEZ,GÉRARD,ROCHE,RENARD,SCHMITT,ROY,LEROUX,COLIN,VIDAL,CARON,\
PICARD,ROGER,FABRE,AUBERT,LEMOINE,RENAUD,DUMAS,LACROIX,OLIVIER,PHILIPPE,\
BOURGEOIS,PIERRE,BENOÎT,REY,LECLERC,PAYET,ROLLAND,LECLERCQ,GUILLAUME,LECOMTE,\
LOPEZ,JEAN,DUPUY,GUILLOT,HUBERT,BERGER,CARPENTIER,SANCHEZ,DUPUIS,MOULIN,\
LOUIS,DESCHAMPS,HUET,VASSEUR,PEREZ,BOUCHER,FLEURY,ROYER,KLEIN,JACQUET,\
ADAM,PARIS,POIRIER,MARTY,AUBRY,GUYOT,CARRÉ,CHARLES,RENAULT,CHARPENTIER,\
MÉNARD,MAILLARD,BARON,BERTIN,BAILLY,HERVÉ,SCHNEIDER,FERNANDEZ,LE GALL,COLLET,\
LÉGER,BOUVIER,JULIEN,PRÉVOST,MILLET,PERROT,DANIEL,LE ROUX,COUSIN,GERMAIN,\
BRETON,BESSON,LANGLOIS,RÉMY,LE GOFF,PELLETIER,LÉVÊQUE,PERRIER,LEBLANC,BARRÉ,\
LEBRUN,MARCHAL,WEBER,MALLET,HAMON,BOULANGER,JACOB,MONNIER,MICHAUD,RODRIGUEZ,\
GUICHARD,GILLET,ÉTIENNE,GRONDIN,POULAIN,TESSIER,CHEVALLIER,COLLIN,CHAUVIN,DA SILVA,\
BOUCHET,GAY,LEMAÎTRE,BÉNARD,MARÉCHAL,HUMBERT,REYNAUD,ANTOINE,HOARAU,PERRET,\
BARTHÉLEMY,CORDIER,PICHON,LEJEUNE,GILBERT,LAMY,DELAUNAY,PASQUIER,CARLIER,LAPORTE,\
GAUDIN,BOURDON,HOAREAU,RIGAUD,FERRAND,LAGARDE,NAVARRO,BESNARD,MAURY,LEBON,\
GONZALEZ,FOUCHER,MASSÉ,PONS,DIDIER,BOUTIN,DELMAS,LEMOINE-DURAND,PEREIRA,FERREIRA,\
RODRIGUES,DOS SANTOS,FERNANDES,GOMES,MARTINS,ALVES,LOPES,DIAS,RIBEIRO,TEIXEIRA,\
DE SOUSA,D'ALMEIDA,CARVALHO,N'DIAYE,DIALLO,TRAORÉ,KONATÉ,CAMARA,SYLLA,COULIBALY,\
DIOP,SOW,BA,FALL,KEITA,TOURÉ,N'GUESSAN,KOUASSI,BEN ALI,BENSAID,\
EL AMRANI,BENAMAR,HADDAD,MANSOURI,BOUZID,CHERIF,BELKACEM,AMRANI,SAIDI,BRAHIMI,\
NGUYEN,TRAN,LE,PHAM,HOANG,CHEN,WANG,ZHANG,LI,LIU,\
ROSSI,RUSSO,ESPOSITO,BIANCHI,ROMANO,COLOMBO,RICCI,MARINO,GRECO,BRUNO,\
SCHMIDT,WAGNER,BECKER,HOFFMANN,KOCH,RICHTER,WOLFF,KLEIN-MULLER,FISCHER,WALTER,\
LE BRIS,LE BIHAN,LE CORRE,LE MOAL,LE GUEN,LE FLOCH,LE GOFF-MORVAN,MORVAN,KERBRAT,QUÉRÉ,\
TANGUY,GUILLOU,LE BERRE,JÉGOU,LE HIR,CADIOU,PRIGENT,LE GAC,LE MEUR,CORRE,\
DE LA FONTAINE,DE LA ROCHE,DU PONT,DELACROIX,DE BONO,DES ROCHES,LA FONTAINE,DU MOULIN,DE MONTAIGNE,DE VILLIERS,\
D'ANGELO,D'ARCY,D'AUBIGNÉ,L'HERMITE,L'HUILLIER,D'HONDT,N'GOMA,M'BAPPÉ,O'NEILL,D'ALESSANDRO,\
SCHWARTZ,KLEINHANS,ZIMMERMANN,HUBER,HAAS,ERNST,BAUER,KELLER,SCHAEFFER,OBERLÉ,\
BAUMANN,GRAFF,MEYER-HEIM,WEISS,STOLL,HERTZ,BURGER,RIEGER,MUNSCH,FRITSCH,\
FONTENEAU,BOUCHARD,MOUTON,BERTHELOT,CHAUVEAU,COLAS,GUYON,BARRAULT,CHARRIER,JOUBERT,\
TEXIER,LEMAY,GODARD,LAUNAY,MAHÉ,BOULAY,GERVAIS,MARIN,POIRIER-LEGRAND,GIMENEZ,\
BÉRANGER,BRIAND,GUIBERT,LECOQ,TOUSSAINT,BOURGEOIS-DUPONT,LEGROS,VERDIER,BAUDRY,MOINE,\
VALLÉE,HÉBERT,POTIER,COSTE,LAUNAY-MARTIN,TISSOT,CHARTIER,LEBRETON,DUBOURG,MAURIN,\
LACOMBE,BOURDIN,GUILLET,COURTOIS,MONTAGNE,RAYNAUD,BRIÈRE,BOULET,DUFRESNE,BOISSON,\
BERTHIER,CHAMPION,BARRET,GRANGER,CHAUVET,PAGÈS,POUGET,ROUSSET,PASCAL,SAUVAGE,\
CAILLAUD,DESBOIS,MAUGER,BOYÉ,FOURNEL,VIGNAUD,ROUGIER,RIBES,VALENTIN,CLAUDE,\
GOSSELIN,LEVASSEUR,LEDUC,LECLÈRE,DELATTRE,DUHAMEL,DEVAUX,LEFRANC,DELORME,DELPECH,\
FOUQUET,ROCHER,MOLINIER,COMBES,ESTÈVE,FABRE-MARTY,ALBERT,BOURGUIGNON,BENOIST,JOURDAN,\
GUERRERO,MORALES,JIMENEZ,RUIZ,HERNANDEZ,DIAZ,ALVAREZ,ROMERO,TORRES,RAMIREZ,\
VILLENEUVE,BELLANGER,CHRÉTIEN,COURTIN,CORNU,FLAMENT,DERVAUX,DUQUESNE,LEPRÊTRE,WATTEAU,\
DECOCK,DEVOS,DEWAELE,VERHAEGHE,DECLERCQ,PEETERS,JANSSENS,MAES,WILLEMS,VANDAMME,\
LEBEAU,LECOINTE,DUBREUIL,PERRAULT,LAVIGNE,MARQUET,BERGERON,CHARBONNIER,AUGER,BLONDEL,\
TESTARD,DUBOST,MAZET,ASTIER,SABATIER,BONNEFOY,VEYRET,CHAPUIS,FAVRE,REVEL,\
SOULIER,TEYSSIER,DELON,BOUSQUET,ROUQUETTE,CASTEL,ESCAFFRE,SALLES,VIGUIER,CAZENAVE,\
ETCHEVERRY,ETCHEBERRY,IRIGOYEN,ARRIETA,LARRALDE,OLHAGARAY,HARRIAGUE,ELISSALDE,DARRIGRAND,BIDEGARAY,\
SANTONI,ALBERTINI,FILIPPI,GIACOMETTI,MATTEI,LUCCIONI,PIETRI,CASANOVA,ORSINI,PAOLI,\
LEBEGUE,LELIÈVRE,LESAGE,LETELLIER,LEMARCHAND,LEPAGE,LEFORT,LECHEVALIER,LEMONNIER,LEROUX-DUVAL,\
BOYER-GIRAUD,VIDAL-NAQUET,DUPONT-AIGNAN,SAINT-JEAN,SAINT-MARTIN,SAINTE-MARIE,DU BOIS,DE SAINT-EXUPÉRY,LE BORGNE,LE BLANC,\
TECHER,FONTAINE-PAYET,RIVIÈRE-HOARAU,MUSSARD,BÈGUE,DAMOUR,VIENNE,LAURET,MAILLOT,SÉRY,\
JOSEPH,CHARLERY,ÉLISABETH,ALEXANDRE,CÉSAIRE,LUBIN,BOURGADE,JEAN-BAPTISTE,SAINT-LOUIS,PIERRE-LOUIS";

/// Men's first names with the birth year around which they were most
/// given. The years are rounded estimates read from the shape of the INSEE
/// "fichier des prénoms" curves, not computed from that file.
const MEN_FIRST_NAMES: &[(&str, i32)] = &[
    ("JEAN", 1935),
    ("PIERRE", 1945),
    ("MICHEL", 1950),
    ("ANDRÉ", 1930),
    ("PHILIPPE", 1960),
    ("ALAIN", 1952),
    ("BERNARD", 1947),
    ("JACQUES", 1943),
    ("CHRISTIAN", 1953),
    ("DANIEL", 1950),
    ("GÉRARD", 1949),
    ("PATRICK", 1961),
    ("FRANÇOIS", 1955),
    ("CHRISTOPHE", 1970),
    ("NICOLAS", 1982),
    ("THOMAS", 1990),
    ("LUCAS", 2003),
    ("HUGO", 2006),
    ("GABRIEL", 2017),
    ("LÉO", 2016),
    ("LOUIS", 2013),
    ("RAPHAËL", 2016),
    ("JULES", 2016),
    ("ARTHUR", 2018),
    ("ADAM", 2014),
    ("ENZO", 2004),
    ("NATHAN", 2003),
    ("THÉO", 2002),
    ("MATHIS", 2006),
    ("MAXIME", 1992),
    ("ALEXANDRE", 1990),
    ("ANTOINE", 1990),
    ("JULIEN", 1984),
    ("QUENTIN", 1993),
    ("KEVIN", 1991),
    ("ROMAIN", 1988),
    ("CLÉMENT", 1992),
    ("VINCENT", 1977),
    ("SÉBASTIEN", 1976),
    ("DAVID", 1972),
    ("STÉPHANE", 1969),
    ("FRÉDÉRIC", 1968),
    ("LAURENT", 1966),
    ("ÉRIC", 1965),
    ("OLIVIER", 1970),
    ("THIERRY", 1962),
    ("PASCAL", 1962),
    ("DIDIER", 1959),
    ("DOMINIQUE", 1957),
    ("SERGE", 1952),
    ("GILLES", 1955),
    ("JEAN-PIERRE", 1950),
    ("JEAN-CLAUDE", 1947),
    ("JEAN-MICHEL", 1955),
    ("JEAN-LUC", 1958),
    ("JEAN-FRANÇOIS", 1958),
    ("JEAN-MARC", 1960),
    ("JEAN-PAUL", 1948),
    ("JEAN-LOUIS", 1949),
    ("JEAN-JACQUES", 1948),
    ("JEAN-MARIE", 1946),
    ("JEAN-BAPTISTE", 1995),
    ("JEAN-YVES", 1953),
    ("JEAN-PHILIPPE", 1965),
    ("RENÉ", 1928),
    ("ROGER", 1928),
    ("MARCEL", 1925),
    ("ROBERT", 1930),
    ("GEORGES", 1928),
    ("HENRI", 1928),
    ("LOUIS-MARIE", 1940),
    ("PAUL", 1935),
    ("MAURICE", 1928),
    ("RAYMOND", 1930),
    ("LUCIEN", 1928),
    ("FERNAND", 1925),
    ("ROLAND", 1940),
    ("CLAUDE", 1944),
    ("YVES", 1945),
    ("GUY", 1943),
    ("JOSEPH", 1930),
    ("ANDRÉ-PIERRE", 1945),
    ("MARC", 1962),
    ("FRANCK", 1968),
    ("BRUNO", 1964),
    ("JOËL", 1957),
    ("BRUNO-MARIE", 1966),
    ("HERVÉ", 1960),
    ("DENIS", 1958),
    ("FRANCIS", 1950),
    ("JACKY", 1952),
    ("RÉGIS", 1960),
    ("LIONEL", 1968),
    ("CÉDRIC", 1977),
    ("JÉRÔME", 1974),
    ("GRÉGORY", 1977),
    ("ARNAUD", 1976),
    ("FABRICE", 1969),
    ("LUDOVIC", 1977),
    ("MICKAËL", 1980),
    ("ANTHONY", 1986),
    ("JONATHAN", 1985),
    ("JÉRÉMY", 1987),
    ("GUILLAUME", 1985),
    ("BENJAMIN", 1987),
    ("MATHIEU", 1983),
    ("FLORIAN", 1989),
    ("ALEXIS", 1993),
    ("VALENTIN", 1995),
    ("CORENTIN", 1996),
    ("PAUL-ÉMILE", 2000),
    ("BAPTISTE", 1997),
    ("DYLAN", 1997),
    ("TOM", 2004),
    ("NOAH", 2016),
    ("ETHAN", 2012),
    ("SACHA", 2015),
    ("MAËL", 2014),
    ("TIMÉO", 2012),
    ("NOLAN", 2010),
    ("EVAN", 2010),
    ("AXEL", 2000),
    ("MATHÉO", 2008),
    ("YANIS", 2006),
    ("RAYAN", 2005),
    ("MOHAMED", 1990),
    ("MEHDI", 1988),
    ("KARIM", 1975),
    ("SAMIR", 1975),
    ("MOHAMMED", 1980),
    ("AHMED", 1965),
    ("ALI", 1960),
    ("YOUSSEF", 2000),
    ("IBRAHIMA", 1985),
    ("MAMADOU", 1982),
    ("MOUSSA", 1985),
    ("DIEGO", 1995),
    ("MANUEL", 1965),
    ("ANTONIO", 1955),
    ("JOSÉ", 1955),
    ("CARLOS", 1970),
    ("JOÃO", 1960),
    ("GIUSEPPE", 1935),
    ("MARIO", 1945),
    ("YANN", 1976),
    ("LOÏC", 1975),
    ("GWENAËL", 1975),
    ("ERWAN", 1985),
    ("RONAN", 1980),
    ("TANGUY", 1990),
    ("ÉMILE", 2018),
    ("AUGUSTIN", 2015),
    ("VICTOR", 2012),
    ("MARTIN", 2012),
    ("SIMON", 2005),
    ("SAMUEL", 2000),
    ("ÉTIENNE", 1990),
    ("XAVIER", 1972),
    ("EMMANUEL", 1972),
    ("SYLVAIN", 1974),
    ("ALBERT", 1925),
    ("ÉMILE-JEAN", 1925),
    ("GASTON", 1922),
    ("LÉON", 1922),
];

/// Women's first names with the birth year around which they were most
/// given (rounded, as for the men's list).
const WOMEN_FIRST_NAMES: &[(&str, i32)] = &[
    ("MARIE", 1930),
    ("JEANNE", 1928),
    ("FRANÇOISE", 1948),
    ("MONIQUE", 1945),
    ("CATHERINE", 1958),
    ("NATHALIE", 1968),
    ("ISABELLE", 1965),
    ("SYLVIE", 1963),
    ("MARTINE", 1953),
    ("CHRISTINE", 1957),
    ("NICOLE", 1945),
    ("JACQUELINE", 1935),
    ("ANNE", 1960),
    ("HÉLÈNE", 1958),
    ("VÉRONIQUE", 1962),
    ("SANDRINE", 1971),
    ("STÉPHANIE", 1975),
    ("CÉLINE", 1978),
    ("AURÉLIE", 1981),
    ("JULIE", 1984),
    ("CAMILLE", 1995),
    ("LÉA", 1998),
    ("MANON", 1996),
    ("EMMA", 2008),
    ("JADE", 2015),
    ("LOUISE", 2017),
    ("ALICE", 2016),
    ("CHLOÉ", 2000),
    ("INÈS", 2003),
    ("LINA", 2010),
    ("MIA", 2016),
    ("AMBRE", 2016),
    ("ROSE", 2017),
    ("ANNA", 2012),
    ("JULIA", 2012),
    ("ZOÉ", 2008),
    ("LOLA", 2006),
    ("SARAH", 1995),
    ("LAURA", 1990),
    ("MARINE", 1990),
    ("PAULINE", 1990),
    ("ÉMILIE", 1984),
    ("ÉLODIE", 1980),
    ("AUDREY", 1980),
    ("CAROLINE", 1975),
    ("VIRGINIE", 1974),
    ("KARINE", 1970),
    ("VALÉRIE", 1965),
    ("PATRICIA", 1960),
    ("BRIGITTE", 1955),
    ("CHANTAL", 1952),
    ("DANIELLE", 1948),
    ("MICHÈLE", 1948),
    ("ANNIE", 1950),
    ("JOSIANE", 1950),
    ("DENISE", 1930),
    ("SIMONE", 1928),
    ("YVETTE", 1928),
    ("SUZANNE", 1925),
    ("MADELEINE", 1925),
    ("GERMAINE", 1922),
    ("MARGUERITE", 1922),
    ("ODETTE", 1928),
    ("PAULETTE", 1928),
    ("RENÉE", 1928),
    ("COLETTE", 1935),
    ("YVONNE", 1928),
    ("LUCIENNE", 1928),
    ("GISÈLE", 1935),
    ("ANDRÉE", 1930),
    ("GENEVIÈVE", 1940),
    ("ODILE", 1945),
    ("MARIE-CLAIRE", 1955),
    ("MARIE-THÉRÈSE", 1935),
    ("MARIE-FRANCE", 1955),
    ("MARIE-CHRISTINE", 1955),
    ("ANNE-MARIE", 1950),
    ("MARIE-HÉLÈNE", 1958),
    ("MARIE-PIERRE", 1960),
    ("ANNE-SOPHIE", 1979),
    ("MARIE-LAURE", 1966),
    ("MARIE-JOSÉ", 1950),
    ("MARIE-NOËLLE", 1955),
    ("MARIE-ANNE", 1958),
    ("MARIE-PAULE", 1950),
    ("MARIE-ODILE", 1952),
    ("ANNE-LAURE", 1980),
    ("ANNE-CLAIRE", 1982),
    ("MARIE-ANGE", 1960),
    ("MARIE-LOUISE", 1930),
    ("MARIE-AGNÈS", 1955),
    ("MARIE-CÉCILE", 1965),
    ("ÉVELYNE", 1952),
    ("JOCELYNE", 1952),
    ("MARYSE", 1950),
    ("LILIANE", 1945),
    ("MARCELLE", 1925),
    ("GINETTE", 1935),
    ("HUGUETTE", 1935),
    ("ARLETTE", 1935),
    ("LAURENCE", 1965),
    ("CORINNE", 1965),
    ("PASCALE", 1962),
    ("DOMINIQUE", 1957),
    ("FLORENCE", 1966),
    ("AGNÈS", 1960),
    ("CLAIRE", 1975),
    ("ÉMILIE-ROSE", 2010),
    ("SOPHIE", 1972),
    ("DELPHINE", 1973),
    ("MAGALI", 1974),
    ("SÉVERINE", 1975),
    ("MÉLANIE", 1982),
    ("JENNIFER", 1986),
    ("VANESSA", 1982),
    ("AMANDINE", 1985),
    ("ANAÏS", 1992),
    ("MORGANE", 1990),
    ("MARGAUX", 1995),
    ("CLARA", 2000),
    ("OCÉANE", 1997),
    ("MAËLYS", 2005),
    ("LOU", 2012),
    ("AGATHE", 2013),
    ("ROMANE", 2005),
    ("ÉLISE", 2005),
    ("NINA", 2014),
    ("CHARLOTTE", 2000),
    ("LÉNA", 2005),
    ("ZÉLIE", 2016),
    ("IRIS", 2017),
    ("CAPUCINE", 2010),
    ("VICTORIA", 2012),
    ("FATIMA", 1970),
    ("KHADIJA", 1965),
    ("AÏCHA", 1985),
    ("SAMIRA", 1975),
    ("LEÏLA", 1980),
    ("NADIA", 1972),
    ("YASMINE", 1995),
    ("SOFIA", 2012),
    ("AMINATA", 1985),
    ("FATOUMATA", 1988),
    ("MARIAM", 2000),
    ("MARIA", 1960),
    ("ANA", 1965),
    ("ROSA", 1950),
    ("CARMEN", 1955),
    ("ISABEL", 1960),
    ("GIULIA", 2000),
    ("NOLWENN", 1985),
    ("MAIWENN", 2000),
    ("GWENAËLLE", 1978),
    ("ANNICK", 1955),
    ("SOLANGE", 1935),
    ("JOSETTE", 1935),
    ("ÉLIANE", 1945),
    ("BERNADETTE", 1945),
    ("THÉRÈSE", 1930),
    ("HENRIETTE", 1922),
    ("LÉONIE", 2014),
];

/// Splits the surname list into names.
pub(crate) fn surnames() -> Vec<&'static str> {
    SURNAMES.split(',').map(str::trim).collect()
}

/// Returns the surname list, split once for the whole process.
pub(crate) fn surname_list() -> &'static [&'static str] {
    static LIST: std::sync::OnceLock<Vec<&'static str>> =
        std::sync::OnceLock::new();
    LIST.get_or_init(surnames)
}

/// Draws a surname with a weight falling with rank as `1/(rank + 5)^0.6`,
/// so that MARTIN is about 16 times as frequent as a name at rank 500.
pub(crate) fn draw_surname<R: Rng>(
    rng: &mut R,
    list: &[&'static str],
) -> &'static str {
    // Inverse CDF of the continuous law, cheaper than a table walk.
    let n = list.len() as f64;
    let exponent = 0.4;
    let low = 5f64.powf(exponent);
    let high = (n + 5.0).powf(exponent);
    let u: f64 = rng.random();
    let value = (low + u * (high - low)).powf(1.0 / exponent) - 5.0;
    list[(value as usize).min(list.len() - 1)]
}

/// First birth year with its own first-name table; earlier years use it.
const FIRST_TABLE_YEAR: i32 = 1900;
/// Last birth year with its own first-name table; later years use it.
const LAST_TABLE_YEAR: i32 = 2100;

/// Cumulative first-name weights by sex and birth year, computed once so
/// that a draw is a binary search rather than one `exp` per listed name.
struct FirstNameTables {
    /// `cumulative[sex][year - FIRST_TABLE_YEAR][rank]`.
    cumulative: [Vec<Vec<f64>>; 2],
}

fn first_name_tables() -> &'static FirstNameTables {
    static TABLES: std::sync::OnceLock<FirstNameTables> =
        std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let build = |list: &[(&str, i32)]| -> Vec<Vec<f64>> {
            (FIRST_TABLE_YEAR..=LAST_TABLE_YEAR)
                .map(|birth_year| {
                    let mut total = 0.0;
                    list.iter()
                        .enumerate()
                        .map(|(rank, (_, peak))| {
                            let distance = f64::from(birth_year - peak) / 12.0;
                            total += (-0.5 * distance * distance).exp()
                                / (rank as f64 + 10.0).sqrt()
                                + 1e-4;
                            total
                        })
                        .collect()
                })
                .collect()
        };
        FirstNameTables {
            cumulative: [build(MEN_FIRST_NAMES), build(WOMEN_FIRST_NAMES)],
        }
    })
}

/// Draws a first name for `sex` (0 men, 1 women) born in `birth_year`,
/// favouring the names popular around that year. Each name weighs a
/// normal curve (standard deviation 12 years) around its peak year,
/// divided by the square root of its rank plus 10.
pub(crate) fn draw_first_name<R: Rng>(
    rng: &mut R,
    sex: usize,
    birth_year: i32,
) -> &'static str {
    let list = if sex == 0 {
        MEN_FIRST_NAMES
    } else {
        WOMEN_FIRST_NAMES
    };
    let year = birth_year.clamp(FIRST_TABLE_YEAR, LAST_TABLE_YEAR);
    let cumulative = &first_name_tables().cumulative[sex.min(1)]
        [(year - FIRST_TABLE_YEAR) as usize];
    let value = rng.random::<f64>() * cumulative[cumulative.len() - 1];
    let index = cumulative.partition_point(|&c| c <= value);
    list[index.min(list.len() - 1)].0
}

/// Number of first names listed for `sex` (0 men, 1 women).
#[cfg(test)]
pub(crate) fn first_name_count(sex: usize) -> usize {
    if sex == 0 {
        MEN_FIRST_NAMES.len()
    } else {
        WOMEN_FIRST_NAMES.len()
    }
}

/// Removes accents (decomposes to NFD and drops combining marks), as
/// sources that write names in plain ASCII upper case do.
pub(crate) fn strip_accents(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .collect()
}

/// Writes a name in title case: `LE GALL` → `Le Gall`, `N'DIAYE` →
/// `N'Diaye`, `JEAN-PIERRE` → `Jean-Pierre`.
pub(crate) fn title_case(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut start_of_word = true;
    for c in text.chars() {
        if start_of_word {
            result.extend(c.to_uppercase());
        } else {
            result.extend(c.to_lowercase());
        }
        start_of_word = matches!(c, ' ' | '-' | '\'');
    }
    result
}

/// Applies one typing error to a name: a substituted letter, a deleted
/// letter or two adjacent letters transposed. Names of two letters or
/// fewer only get a substitution.
pub(crate) fn add_typo<R: Rng>(rng: &mut R, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let letters: Vec<usize> = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_alphabetic())
        .map(|(i, _)| i)
        .collect();
    if letters.is_empty() {
        return name.to_string();
    }
    let operation = if letters.len() <= 2 {
        0
    } else {
        rng.random_range(0..3)
    };
    let position = letters[rng.random_range(0..letters.len())];
    match operation {
        0 => {
            let original = chars[position];
            let mut replacement = original;
            while replacement == original {
                replacement = char::from(b'A' + rng.random_range(0..26u8));
            }
            chars[position] = replacement;
        }
        1 => {
            chars.remove(position);
        }
        _ => {
            let next = if position + 1 < chars.len() {
                position + 1
            } else {
                position - 1
            };
            if chars[next] == chars[position] || !chars[next].is_alphabetic() {
                // Transposing equal letters or a separator would change
                // nothing or break the name: substitute instead.
                chars[position] =
                    if chars[position] == 'E' { 'A' } else { 'E' };
            } else {
                chars.swap(position, next);
            }
        }
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn lists_are_long_enough() {
        let list = surnames();
        assert!(list.len() >= 500, "{} surnames", list.len());
        assert!(first_name_count(0) >= 150, "{} men", first_name_count(0));
        assert!(first_name_count(1) >= 150, "{} women", first_name_count(1));
        assert!(list.iter().all(|name| !name.is_empty()));
    }

    #[test]
    fn surnames_are_unique() {
        let mut list = surnames();
        list.sort_unstable();
        let before = list.len();
        list.dedup();
        assert_eq!(list.len(), before);
    }

    #[test]
    fn accents_and_case() {
        assert_eq!(strip_accents("HÉLÈNE"), "HELENE");
        assert_eq!(strip_accents("FRANÇOIS"), "FRANCOIS");
        assert_eq!(title_case("LE GALL"), "Le Gall");
        assert_eq!(title_case("N'DIAYE"), "N'Diaye");
        assert_eq!(title_case("MARIE-THÉRÈSE"), "Marie-Thérèse");
    }

    #[test]
    fn typo_changes_the_name() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for name in ["MARTIN", "LE GALL", "BA", "JEAN-PIERRE"] {
            for _ in 0..50 {
                assert_ne!(add_typo(&mut rng, name), name);
            }
        }
    }

    #[test]
    fn martin_leads() {
        let list = surnames();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let n = 20_000;
        let martin = (0..n)
            .filter(|_| draw_surname(&mut rng, &list) == "MARTIN")
            .count();
        let last = list[list.len() - 1];
        let tail = (0..n)
            .filter(|_| draw_surname(&mut rng, &list) == last)
            .count();
        assert!(martin > 5 * tail.max(1), "MARTIN {martin}, last {tail}");
    }
}

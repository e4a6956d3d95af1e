//! `examples/characters.toml` parses, resolves and re-parses to the same protocol; the
//! character set accepts a count or a list of letters.

use neuroplast_config::protocol::ProtocolExperiment;
use neuroplast_core::experiments::characters::CharacterSet;
use neuroplast_core::experiments::ProtocolSpec;

fn params(exp: &ProtocolExperiment) -> &neuroplast_core::experiments::characters::Params {
    match &exp.file.protocol {
        ProtocolSpec::Characters(p) => p,
        other => panic!("not a characters protocol: {}", other.kind()),
    }
}

#[test]
fn example_parses_and_round_trips() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/characters.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let exp = ProtocolExperiment::from_str(&text, "characters.toml", &[]).unwrap();
    assert_eq!(exp.kind(), "characters");
    assert_eq!(params(&exp), &Default::default());
    let again = ProtocolExperiment::from_str(&exp.resolved_toml(), "resolved", &[]).unwrap();
    assert_eq!(again.file.protocol, exp.file.protocol);
}

#[test]
fn letters_or_count() {
    let base = "[protocol]\nkind = \"characters\"\n";
    let exp = ProtocolExperiment::from_str(&format!("{base}characters = 26\n"), "x", &[]).unwrap();
    assert_eq!(params(&exp).characters, CharacterSet::Count(26));
    let exp =
        ProtocolExperiment::from_str(&format!("{base}characters = [\"B\", \"D\"]\n"), "x", &[])
            .unwrap();
    assert_eq!(
        params(&exp).characters,
        CharacterSet::Letters(vec!["B".into(), "D".into()])
    );
    let err = ProtocolExperiment::from_str(&format!("{base}characters = [\"b\"]\n"), "x", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("protocol.characters"), "{err}");
    let err = ProtocolExperiment::from_str(&format!("{base}learning_rat = 0.1\n"), "x", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("learning_rat"), "{err}");
}

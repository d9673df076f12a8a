//! The SAM / CloudFormation template engine (lamina-template, behind `lamina deploy` and the
//! CloudFormation service): YAML or JSON text through the parser, the resource list, parameters,
//! conditions and intrinsic functions, and the translation of every function and layer resource. What
//! must hold: no panic and no hang, whatever the text (deep nesting, aliases, tags, self-referencing
//! conditions); errors carry a position inside the text.
#![no_main]

use lamina_template::intrinsics::Pseudo;
use lamina_template::resources::{self, Kind};
use lamina_template::{Template, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let root = match load::parse(text) {
        Ok(root) => root,
        Err(error) => {
            // YAML breaks lines at LF, CRLF and a lone CR; an error at the end of the text may name the
            // line after its last.
            let lines = 1 + text.replace("\r\n", "\n").matches(['\n', '\r']).count();
            assert!(
                error.pos.line <= lines + 1,
                "error at line {} of a {lines}-line text: {}",
                error.pos.line,
                error.message
            );
            return;
        }
    };
    // An empty folder: `CodeUri` and `ContentUri` resolve against it and find nothing.
    let dir = std::env::temp_dir().join("lamina-fuzz-template");
    let _ = std::fs::create_dir_all(&dir);
    let template = Template {
        path: dir.join("template.yaml"),
        root,
    };
    let Ok(resources) = template.resources() else {
        return;
    };
    let pseudo = Pseudo {
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        stack_name: "fuzz".into(),
    };
    let Ok(ctx) = template.context(pseudo, &[]) else {
        return;
    };
    for resource in &resources {
        if !template.included(resource, &ctx).unwrap_or(false) {
            continue;
        }
        let _ = match resource.kind {
            Kind::Function => resources::function(resource, template.globals(), &ctx, &dir).map(drop),
            Kind::Layer => resources::layer(resource, &ctx, &dir).map(drop),
            Kind::Other => Ok(()),
        };
    }
});

//! The evidence rules on messages and people of the shapes found in the wild, and human
//! commits of the same shapes.

use super::*;
use crate::catalog::{Catalog, CommitView};
use crate::identity::Identity;
use crate::trailers::{parse_str, TrailerConfig};

/// (tool, rule) of every piece of evidence in a commit by these people.
fn found(msg: &str, author: &str, committer: &str) -> Vec<(String, &'static str)> {
    let cat = Catalog::builtin().unwrap();
    let t = parse_str(msg, &TrailerConfig::default());
    let a = Identity::parse(author).unwrap();
    let c = Identity::parse(committer).unwrap();
    cat.evidence(&CommitView {
        message: msg,
        trailers: &t,
        author: &a,
        committer: &c,
    })
    .into_iter()
    .map(|e| (e.tool, e.rule))
    .collect()
}

const ANN: &str = "Ann Example <ann@example.org>";

fn by_ann(msg: &str) -> Vec<(String, &'static str)> {
    found(msg, ANN, ANN)
}

fn tools<'a>(v: &'a [(String, &'static str)]) -> Vec<&'a str> {
    let mut t: Vec<&str> = v.iter().map(|(t, _)| t.as_str()).collect();
    t.dedup();
    t
}

#[test]
fn disclosure_lines_name_their_tool_or_an_unknown_one() {
    for (msg, tool) in [
        (
            "fix: x\n\nAI Disclosure: Claude Code wrote the tests.\n",
            "claude-code",
        ),
        (
            "fix: x\n\nAI usage: the entire change was written with Cursor\n",
            "cursor",
        ),
        (
            "fix: x\n\nAI usage: Cursor helped with the parser.\n",
            "cursor",
        ),
        (
            "fix: x\n\nAI: Claude Code (Opus 4.5) drafted this.\n",
            "claude-code",
        ),
        ("fix: x\n\nAI-assisted: GitHub Copilot\n", "copilot"),
        (
            "fix: x\n\n**AI disclosure:** used ChatGPT to draft the docs\n",
            "chatgpt",
        ),
        (
            "fix: x\n\nAI disclosure: yes, an assistant drafted the regex\n",
            UNKNOWN_AI,
        ),
        (
            "fix: x\n\nAI-assisted: project setup, Zod schemas\n",
            UNKNOWN_AI,
        ),
        (
            "fix: x\n\nAI Disclosure: written by Claude Haiku 4.5\n",
            "claude-code",
        ),
        (
            "fix: x\n\nAI DISCLOSURE:\nThis file was developed with Gemini Code Assist.\n",
            "gemini",
        ),
        (
            "fix: x\n\nAI disclosure: OpenAI Codex authored the patch and tests\n",
            "codex",
        ),
        (
            "fix: x\n\nAI usage: Gemini 2.5 Pro was used for the tests\n",
            "gemini",
        ),
        (
            "fix: x\n\nAI usage: used GPT-5 for the refactor\n",
            UNKNOWN_AI,
        ),
        (
            "fix: x\n\n## AI disclosure\n\nThe tests were written with Amp.\n",
            "amp",
        ),
        (
            "fix: x\n\n## AI Usage\n- [ ] No AI was used\n- [x] AI tools were used\n",
            UNKNOWN_AI,
        ),
    ] {
        let f = by_ann(msg);
        assert_eq!(tools(&f), [tool], "{msg:?}: {f:?}");
        assert_eq!(f[0].1, DISCLOSURE, "{msg:?}");
    }
}

#[test]
fn sentences_and_sections_that_say_a_tool_did_the_work_are_disclosures() {
    for (msg, tool) in [
        (
            "fix: x\n\nI asked Codex to do some benchmarking first.\n",
            "codex",
        ),
        (
            "fix: x\n\nI had Claude generate the candidate list.\n",
            "claude-code",
        ),
        (
            "fix: x\n\nThis PR was written with assistance from Claude Code.\n",
            "claude-code",
        ),
        (
            "fix: x\n\nCopilot was used to understand the codebase.\n",
            "copilot",
        ),
        (
            "fix: x\n\nThis code was written with assistance from GPT 5.6.\n",
            UNKNOWN_AI,
        ),
        (
            "fix: x\n\n**AI Disclosure**\nI used OpenAI Codex (high) for this.\n",
            "codex",
        ),
        (
            "fix: x\n\n## LLM Notes\nThis work was done in concert with Codex.\n",
            "codex",
        ),
        (
            "fix: x\n\n**AI usage:** This was spotted by GPT 5.6.\n",
            UNKNOWN_AI,
        ),
        (
            "fix: x\n\nAI disclosure per `AI_POLICY.md`: Claude Code drafted it.\n",
            "claude-code",
        ),
    ] {
        let f = by_ann(msg);
        assert_eq!(tools(&f), [tool], "{msg:?}: {f:?}");
    }
}

#[test]
fn lines_that_deny_or_merely_mention_ai_are_not_evidence() {
    for msg in [
        "fix: x\n\nAI: none\n",
        "fix: x\n\nI used the Claude API to fetch completions.\n",
        "fix: x\n\nThis change was written by Devin Smith and Jules Verne.\n",
        "fix: x\n\nI asked Devin to review the parser.\n",
        "fix: x\n\nThe cache was used to store Claude responses.\n",
        "fix: x\n\n#### AI Disclosure\nNo AI was used.\n",
        "fix: x\n\nAI Disclosure\nNo AI is used for this one.\n",
        "fix: x\n\nAI Disclosure: I wrote this myself.\n",
        "fix: x\n\n## AI disclosure\n\nI wrote this myself, by hand.\n",
        "docs: add an AI disclosure section to the PR template\n\nContributors write:\n\n    AI-assisted: Claude Code\n",
        "docs: how to disclose\n\n```\nAI usage: Cursor helped with the parser\n```\n",
        "fix: x\n\nAI Disclosure: No AI was used.\n",
        "fix: x\n\nAI usage: N/A\n",
        "fix: x\n\nAI-assisted: no\n",
        "fix: x\n\nnot AI-generated\n",
        "fix: x\n\nno AI was used\n",
        "fix the AI provider config\n",
        "revert the Claude integration\n\nThe Claude integration broke the build.\n",
        "ai: add the Claude provider\n",
        "feat: x\n\n- AI: support for Claude 3.5 Sonnet\n- AI: add Gemini provider\n",
        "feat: x\n\nAI usage: show token cost for Claude requests\n",
        "docs: x\n\n## AI disclosure\n\n<!-- Say which AI tools you used, if any -->\n",
        "docs: x\n\n## AI disclosure\n- [ ] I used AI tools\n",
        "docs: x\n\n## AI disclosure\nNo AI tools were used.\n",
        "docs: x\n\n## AI features\nClaude Code support.\n",
        "fix: x\n\nAgent: the build agent on ci-3\n",
        "fix: x\n\nGenerated by protoc 3.21 with Claude's grammar\n",
        "fix: x\n\nThe parser is generated by Claude's grammar tool\n",
    ] {
        assert!(by_ann(msg).is_empty(), "{msg:?}: {:?}", by_ann(msg));
    }
}

#[test]
fn agent_keys_sign_offs_and_session_links_name_the_tool() {
    for (msg, tool, rule) in [
        ("x\n\nAI-Agent: Claude Code\n", "claude-code", AGENT_TRAILER),
        ("x\n\nAgent: Cursor\n", "cursor", AGENT_TRAILER),
        (
            "x\n\nAI-Agents: opencode, Claude Code\n",
            "opencode",
            AGENT_TRAILER,
        ),
        (
            "x\n\nAI-Model: claude-sonnet-4.5\n",
            "claude-code",
            AGENT_TRAILER,
        ),
        ("x\n\n_codex-gpt-5 on behalf of @ann_\n", "codex", SIGN_OFF),
        (
            "x\n\n*Posted by Codex agent on behalf of @govert*\n",
            "codex",
            SIGN_OFF,
        ),
        (
            "x\n\n_This entry was created by an AI agent (OpenHands) on behalf of @jp._\n",
            "openhands",
            SIGN_OFF,
        ),
        (
            "x\n\n[Claude Opus 4.6 on behalf of @elliot]\n",
            "claude-code",
            SIGN_OFF,
        ),
        (
            "x\n\nTask: see https://jules.google.com/session/1234567890abc\n",
            "jules",
            SESSION_LINK,
        ),
        (
            "x\n\nThread: https://ampcode.com/threads/T-0199aa-bb\n",
            "amp",
            SESSION_LINK,
        ),
        (
            "x\n\nStarted from https://jules.google.com/task/7232558608590402455\n",
            "jules",
            SESSION_LINK,
        ),
        (
            "x\n\nSee https://gemini.google.com/share/6802f7a21c3c\n",
            "gemini",
            SESSION_LINK,
        ),
        (
            "x\n\nAuto-generated by Claude Code\n",
            "claude-code",
            CREDIT_LINE,
        ),
        (
            "x\n\n🤖 Generated with [opencode](https://opencode.ai) & Claude Opus 4.5\n",
            "opencode",
            SIGNATURE,
        ),
        (
            "x\n\nGenerated with [Kiro](https://kiro.dev) & claude-sonnet-4.5\n",
            "kiro",
            CREDIT_LINE,
        ),
    ] {
        let f = by_ann(msg);
        assert_eq!(tools(&f), [tool], "{msg:?}: {f:?}");
        assert!(f.iter().any(|(_, r)| *r == rule), "{msg:?}: {f:?}");
    }
    // A link to the product's front page, or with no id, is not a session.
    assert!(
        by_ann("docs: x\n\nSee https://ampcode.com/threads/ and https://chatgpt.com/\n").is_empty()
    );
    assert!(by_ann("docs: x\n\n_Reviewed on behalf of the security team_\n").is_empty());
}

#[test]
fn models_where_a_person_goes_are_evidence() {
    let co = |v: &str| by_ann(&format!("x\n\nCo-authored-by: {v}\n"));
    assert_eq!(
        co("Claude 3.5 Sonnet <someone@example.org>"),
        [("claude-code".to_string(), MODEL_AS_PERSON)]
    );
    assert_eq!(
        co("gpt-5-high (planning) && gemini-2.5-pro-low (coding) <bot@example.org>")[0].1,
        MODEL_AS_PERSON
    );
    assert_eq!(co("Gemini"), [("gemini".to_string(), MODEL_AS_PERSON)]);
    assert_eq!(tools(&co("GPT-4o")), [UNKNOWN_AI]);
    // People: a name that is not (only) a model.
    for v in [
        "Claude Monet <claude@monet.fr>",
        "Gemma Smith <gemma@example.org>",
        "Jay",
        "Opus Dei <opus@example.org>",
    ] {
        assert!(co(v).is_empty(), "{v}: {:?}", co(v));
    }
}

#[test]
fn a_tools_name_counts_only_at_an_address_no_person_owns() {
    let h = ANN;
    for (who, tool) in [
        ("Roo Code <support@roocode.com>", "roo-code"),
        ("Continue <noreply@example.dev>", "continue"),
        ("Codex <codex@sandbox-7.local>", "codex"),
        ("Codex (GPT-5.4) <codex@x.local>", "codex"),
        ("Cursor Agent <agent@example.org>", "cursor"),
        ("Jane Doe (Kiro CLI) <jane@example.org>", "kiro"),
        ("Devin AI <devin@cognition.ai>", "devin"),
        ("Claude Code <claude@monet.fr>", "claude-code"),
        ("Rovo Dev <dev@skillfind.example>", "rovo-dev"),
        ("Claude Assistant <helper@example.org>", "claude-code"),
        ("Kimi Code <noreply@moonshot.ai>", "kimi-code"),
    ] {
        assert_eq!(tools(&found("x", who, h)), [tool], "{who}");
        let co = by_ann(&format!("x\n\nCo-authored-by: {who}\n"));
        assert_eq!(tools(&co), [tool], "co-author {who}");
    }
    for who in [
        "Chris <chris@roocode.com>",
        "Claude <claude@monet.fr>",
        "Claude <claude@laptop.local>",
        "Devin <devin@devins-macbook.local>",
        "Jules <jules@example.com>",
        "Kiro <kiro@kiro-tanaka.jp>",
        "Kimi <kimi@raikkonen.example>",
        "Claude Shannon <claude@bell-labs.example>",
        "Cody <cody@sourcegraph.com>",
        "Junie Moon <junie@example.org>",
        "Jane Doe <noreply@example.com>",
        "Jane Doe (Platform team) <jane@example.org>",
        "GitHub <noreply@github.com>",
        "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
        "renovate[bot] <29139614+renovate[bot]@users.noreply.github.com>",
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
        "pre-commit-ci[bot] <66853113+pre-commit-ci[bot]@users.noreply.github.com>",
        "autofix-ci[bot] <114827586+autofix-ci[bot]@users.noreply.github.com>",
    ] {
        assert!(
            found("x", who, h).is_empty(),
            "{who}: {:?}",
            found("x", who, h)
        );
        let co = by_ann(&format!("x\n\nCo-authored-by: {who}\n"));
        assert!(co.is_empty(), "co-author {who}: {co:?}");
    }
}

#[test]
fn bot_logins_with_a_suffix_are_their_tool() {
    let h = ANN;
    for (who, tool) in [
        (
            "cursor-staging[bot] <1+cursor-staging[bot]@users.noreply.github.com>",
            "cursor",
        ),
        (
            "x <2+coderabbitai-nightly[bot]@users.noreply.github.com>",
            "coderabbit",
        ),
        ("devin-ai-integration-cloud[bot] <d@example.org>", "devin"),
        (
            "devin.ai[bot] <3+devin.ai[bot]@users.noreply.github.com>",
            "devin",
        ),
    ] {
        let f = found("x", who, h);
        assert_eq!(
            f.first(),
            Some(&(tool.to_string(), BOT_LOGIN)),
            "{who}: {f:?}"
        );
    }
    assert!(found("x", "dependabot-preview[bot] <d@example.org>", h).is_empty());
    // An AI app no entry names: an unknown AI tool.
    for who in [
        "acme-gpt[bot] <9+acme-gpt[bot]@users.noreply.github.com>",
        "x <10+review-llm[bot]@users.noreply.github.com>",
        "pr-ai[bot] <p@example.org>",
    ] {
        assert_eq!(
            found("x", who, h),
            [(UNKNOWN_AI.to_string(), AI_BOT)],
            "{who}"
        );
    }
    // A service no entry names, saying it is AI, at a no-reply address.
    for who in [
        "Graphite Agent <noreply@graphite.example>",
        "Plandex <noreply@plandex.ai>",
    ] {
        let co = by_ann(&format!("x\n\nCo-authored-by: {who}\n"));
        assert_eq!(co, [(UNKNOWN_AI.to_string(), AI_BOT)], "{who}");
    }
    for who in [
        "GitHub <noreply@github.com>",
        "Vercel <noreply@vercel.com>",
        "Jane Doe <jane@foo.ai>",
        "Mergify <noreply@mergify.com>",
    ] {
        let co = by_ann(&format!("x\n\nCo-authored-by: {who}\n"));
        assert!(co.is_empty(), "{who}: {co:?}");
    }
    for who in [
        "openai-sdk[bot] <o@example.org>",
        "mergify[bot] <m@example.org>",
        "shanghai-ci[bot] <s@example.org>",
    ] {
        assert!(found("x", who, h).is_empty(), "{who}");
    }
}

#[test]
fn a_tool_guessed_from_a_model_gives_way_to_a_tool_named() {
    let f = by_ann(
        "x\n\nAI: Claude Sonnet 4.5, used in Cursor\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\n",
    );
    assert_eq!(tools(&f), ["cursor"], "{f:?}");
    // Alone, the model's family names its tool.
    assert_eq!(
        tools(&by_ann("x\n\nAI: used Claude Sonnet 4.5\n")),
        ["claude-code"]
    );
}

#[test]
fn a_disclosure_naming_no_tool_gives_way_to_evidence_that_names_one() {
    let f = by_ann(
        "x\n\nAI disclosure: yes, generated\n\nCo-authored-by: Claude <noreply@anthropic.com>\n",
    );
    assert_eq!(tools(&f), ["claude-code"], "{f:?}");
}

#[test]
fn a_policy_can_turn_a_rule_off() {
    let mut cat = Catalog::builtin().unwrap();
    cat.ignore_rules(&[DISCLOSURE]);
    let msg = "x\n\nAI usage: Cursor helped with the parser.\n";
    let a = Identity::parse(ANN).unwrap();
    let t = parse_str(msg, &TrailerConfig::default());
    let view = CommitView {
        message: msg,
        trailers: &t,
        author: &a,
        committer: &a,
    };
    assert!(cat.evidence(&view).is_empty());
}

#[test]
fn rule_ids_are_unique() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
}

#[test]
fn a_hostile_message_yields_bounded_evidence() {
    let mut msg = String::from("x\n\n");
    for i in 0..40_000 {
        msg.push_str(&format!(
            "I asked Codexx{i} to look. AI: Claude Code wrote it.\nAI usage: Cursor helped\n"
        ));
    }
    let f = by_ann(&msg);
    assert!(!f.is_empty() && f.len() <= 40, "{}", f.len());
}

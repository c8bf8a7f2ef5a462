"""The CI examples in examples/ci/: actionlint (with shellcheck) finds nothing in the GitHub
Actions workflows, and each workflow has the steps examples/ci/README.md promises.

The workflows are parsed with PyYAML, which reads the key ``on`` as ``True`` (YAML 1.1).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kpisync.sync.auth import AUTH_FLOW_VAR, FLOW_REQUIREMENTS

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "examples" / "ci" / "github"
WORKFLOWS = sorted(GITHUB.glob("*.yml"))
PUBLISH = GITHUB / "kpisync-publish.yml"
REVIEW = GITHUB / "kpisync-pr.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"


def tool(name: str) -> str:
    """A binary the test extra installs beside this Python (actionlint, shellcheck)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'", pytrace=False)
    return found


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), "-no-color", f"-shellcheck={tool('shellcheck')}",
         *map(str, paths)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    return workflow[True]  # `on:`


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def step_using(workflow: dict, action: str) -> dict:
    used = [s for s in steps(workflow) if s.get("uses", "").split("@")[0] == action]
    assert len(used) == 1, f"expected one step using {action}, found {len(used)}"
    return used[0]


def step_running(workflow: dict, command: str) -> dict:
    found = [s for s in steps(workflow) if command in s.get("run", "")]
    assert len(found) == 1, f"expected one step running {command!r}, found {len(found)}"
    return found[0]


def test_there_are_github_workflows():
    assert [p.name for p in WORKFLOWS] == ["kpisync-pr.yml", "kpisync-publish.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_finds_nothing(path):
    result = actionlint(path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n", encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "nope" is not defined' in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_major_version(path):
    used = [s["uses"] for s in steps(load(path)) if "uses" in s]
    assert used
    assert [u for u in used if not re.fullmatch(r"[\w-]+/[\w/-]+@v\d+", u)] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_reach_scripts_only_through_the_environment(path):
    workflow = load(path)
    scripts = [s["run"] for s in steps(workflow) if "run" in s]
    assert [s for s in scripts if "secrets." in s] == []
    assert [s for s in scripts if re.search(r"(echo|printf|cat)[^\n]*\$\{?SF_", s)] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_permissions_are_read_only(path):
    assert load(path)["permissions"] == {"contents": "read"}


def test_publish_runs_on_a_schedule_and_by_hand():
    assert set(triggers(load(PUBLISH))) == {"schedule", "workflow_dispatch"}


def test_publish_restores_the_store_by_prefix_and_saves_a_new_key():
    workflow = load(PUBLISH)
    restore = step_using(workflow, "actions/cache/restore")["with"]
    save = step_using(workflow, "actions/cache/save")["with"]
    assert restore["path"] == save["path"] == ".kpisync"
    assert restore["restore-keys"].strip() == "kpisync-store-"
    assert save["key"].startswith("kpisync-store-") and "github.run_id" in save["key"]


def test_publish_logs_in_with_the_jwt_bearer_flow_from_secrets():
    env = step_running(load(PUBLISH), "kpisync --log-format json sync")["env"]
    (needs,) = [needs for key, _, needs in FLOW_REQUIREMENTS if key == "jwt"]
    assert env[AUTH_FLOW_VAR] == "jwt"
    for choices in needs:
        assert any(var in env for var in choices), choices
    assert all(env[var] == f"${{{{ secrets.{var} }}}}" for var in env if var != AUTH_FLOW_VAR)


def test_publish_keeps_a_partial_sync_and_skips_the_build():
    workflow = load(PUBLISH)
    sync = step_running(workflow, "kpisync --log-format json sync")
    assert '"$status" -eq 3' in sync["run"] and "complete=false" in sync["run"]
    assert step_using(workflow, "actions/cache/save")["if"] == "steps.sync.outcome == 'success'"
    assert step_running(workflow, "kpisync build")["if"] == \
        "steps.sync.outputs.complete == 'true'"


def test_publish_deploys_to_pages_with_its_own_permissions():
    workflow = load(PUBLISH)
    assert step_using(workflow, "actions/upload-pages-artifact")["with"]["path"] == "output"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"] == "actions/deploy-pages@v4"
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_review_runs_on_pull_requests_changing_kpis_yaml():
    assert "kpis.yaml" in triggers(load(REVIEW))["pull_request"]["paths"]


def test_review_validates_with_annotations():
    step_running(load(REVIEW), "kpisync validate --format github")


def test_review_comments_the_diff_once_per_pull_request():
    workflow = load(REVIEW)
    diff = step_running(workflow, "kpisync diff")
    assert 'kpisync diff --base-ref "origin/$BASE_REF"' in diff["run"]
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"
    script = step_using(workflow, "actions/github-script")["with"]["script"]
    assert "<!-- kpisync-diff -->" in diff["run"] and "<!-- kpisync-diff -->" in script
    assert "updateComment" in script and "createComment" in script
    assert workflow["jobs"]["review"]["permissions"] == {
        "contents": "read", "pull-requests": "write"}
    checkout = workflow["jobs"]["review"]["steps"][0]
    assert checkout == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}


def test_review_reads_the_store_without_saving_it_and_uploads_a_preview():
    workflow = load(REVIEW)
    assert step_using(workflow, "actions/cache/restore")["with"]["path"] == ".kpisync"
    uses = {s.get("uses", "").split("@")[0] for s in steps(workflow)}
    assert not uses & {"actions/cache", "actions/cache/save"}
    assert step_using(workflow, "actions/upload-artifact")["with"]["path"] == "preview"
    step_running(workflow, "kpisync build --out preview")


def test_review_tops_up_with_read_only_secrets():
    env = step_running(load(REVIEW), "kpisync sync")["env"]
    assert {v for k, v in env.items() if k != AUTH_FLOW_VAR} == {
        f"${{{{ secrets.SF_READONLY_{k[3:]} }}}}" for k in env if k != AUTH_FLOW_VAR}


# GitLab CI: no linter for .gitlab-ci.yml runs offline (GitLab's own lints through its API),
# so the file is checked for shape only.

def test_gitlab_review_job_runs_on_merge_requests_changing_kpis_yaml():
    job = load(GITLAB)["kpisync-review"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"',
                             "changes": ["kpis.yaml"]}]
    assert job["cache"] == {"key": "kpisync-store", "paths": [".kpisync/"], "policy": "pull"}
    assert any(line.startswith("kpisync validate") for line in job["script"])
    assert any(line.startswith("kpisync diff --base-ref") for line in job["script"])


def test_gitlab_pages_job_is_scheduled_keeps_the_store_and_publishes_public():
    pipeline = load(GITLAB)
    job = pipeline["pages"]
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in job["rules"]
    assert job["cache"]["paths"] == [".kpisync/"] and job["cache"]["policy"] == "pull-push"
    assert job["cache"]["when"] == "always"
    assert job["artifacts"]["paths"] == ["public"]
    assert job["allow_failure"] == {"exit_codes": [3]}
    assert "kpisync --log-format json run --out public" in job["script"]
    assert job["variables"][AUTH_FLOW_VAR] == "jwt"
    assert pipeline["stages"] == ["check", "publish"]


def kpisync_commands(script: str) -> list[list[str]]:
    """Each ``kpisync …`` command line of a shell script, as arguments, up to the first shell
    operator; ``${{ … }}`` expressions and ``$VARIABLES`` stand as plain words."""
    import shlex

    script = re.sub(r"\$\{\{[^}]*\}\}", "EXPR", script.replace("\\\n", " "))
    commands = []
    for line in script.splitlines():
        words = shlex.split(re.sub(r"\$\{?\w+\}?", "VALUE", line), comments=True)
        while words and words[0] in ("if", "then", "!", "-", "run:"):
            words = words[1:]
        if words[:1] != ["kpisync"]:
            continue
        cut = next((i for i, w in enumerate(words) if w in ("|", "||", "&&", ";", ">", "2>")
                    or w.startswith((">", "2>"))), len(words))
        commands.append(words[1:cut])
    return commands


def example_scripts() -> list[tuple[str, str]]:
    scripts = [(f"{path.name}: {step.get('name', '')}", step["run"])
               for path in WORKFLOWS for step in steps(load(path)) if "run" in step]
    for name, job in load(GITLAB).items():
        if isinstance(job, dict):
            lines = [*job.get("before_script", []), *job.get("script", [])]
            scripts.append((f".gitlab-ci.yml: {name}", "\n".join(lines)))
    return scripts


def test_every_kpisync_command_in_the_examples_parses():
    """The examples call kpisync commands and options by name: each must exist, with its
    options, or an admin's first scheduled run fails on a usage error."""
    import click

    from kpisync.cli import main

    checked = []
    for where, script in example_scripts():
        for args in kpisync_commands(script):
            command, ctx = main, main.make_context("kpisync", list(args))
            while isinstance(command, click.Group):
                rest = ctx._protected_args + ctx.args
                name, command, rest = command.resolve_command(ctx, rest)
                try:
                    ctx = command.make_context(name, rest, parent=ctx)
                except click.UsageError as exc:
                    pytest.fail(f"{where}: kpisync {' '.join(args)}: {exc}")
            checked.append(ctx.command_path.split()[1])
    assert set(checked) >= {"validate", "diff", "sync", "run", "build"}, checked

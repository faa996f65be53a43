"""Where ``.orbitctl/`` is: the manifests' checkout, whatever the working directory."""

from __future__ import annotations

from orbitctl.statedir import STATE_DIR_ENV, state_dir


def test_the_checkout_root_of_the_manifest_wins_over_the_working_directory(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "stacks" / "prod").mkdir(parents=True)
    (repo / "stacks" / "prod" / "numbers.yaml").write_text("")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    for cwd, manifest in ((repo, "stacks/prod/numbers.yaml"), (repo / "stacks", "prod/numbers.yaml"),
                          (elsewhere, str(repo / "stacks" / "prod"))):
        monkeypatch.chdir(cwd)
        assert state_dir([manifest]) == repo.resolve() / ".orbitctl"


def test_a_git_file_marks_a_worktree_root_and_no_marker_means_the_manifests_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    worktree = tmp_path / "wt"
    (worktree / "sub").mkdir(parents=True)
    (worktree / ".git").write_text("gitdir: /elsewhere\n")
    assert state_dir([worktree / "sub" / "m.yaml"]) == worktree.resolve() / ".orbitctl"
    loose = tmp_path / "loose" / "deep"
    loose.mkdir(parents=True)
    assert state_dir([loose / "m.yaml"]) == loose.resolve() / ".orbitctl"


def test_without_manifests_the_search_starts_at_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    (tmp_path / ".hg").mkdir()
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    assert state_dir() == tmp_path.resolve() / ".orbitctl"


def test_the_environment_names_the_folder_outright(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STATE_DIR_ENV, "state-here")
    assert state_dir(["m.yaml"]) == tmp_path / "state-here"

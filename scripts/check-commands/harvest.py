#!/usr/bin/env python3
"""Build the committed reference tables that tests/commands.rs checks the KB's commands against.

Run by maintainers (network allowed), never by CI. It reads every KB entry's commands, then

  (a) for every `az` command the KB calls, runs the real `az <group> <cmd> --help` of an Azure CLI
      (give it with --az, e.g. one installed in a throwaway venv:
      python3 -m venv /tmp/azcli && /tmp/azcli/bin/pip install azure-cli) and records the
      parameters it prints, with the az version, in reference/az.toml;
  (b) for every PowerShell cmdlet the KB calls, reads the cmdlet's help Markdown from the
      Microsoft repositories below (a local clone or bare mirror given with --repo OWNER/NAME=DIR,
      or a blobless clone made into --cache) and records its parameters, aliases and whether its
      -Force parameter suppresses a confirmation prompt, with repo, path and commit, in
      reference/cmdlets.toml.

Cmdlets whose help is in none of the repositories it can read (or in repositories too large to
clone here) are kept by hand in reference/cmdlets-manual.toml, each row naming repo, path and
commit of the help page it was copied from; harvest.py never rewrites that file, and it lists the
cmdlets that are in neither table at the end.

Usage:
  scripts/check-commands/harvest.py --az /tmp/azcli/bin/az \
      --repo MicrosoftDocs/windows-powershell-docs=/path/to/clone \
      --repo MicrosoftDocs/PowerShell-Docs=/path/to/clone
"""
import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REF = os.path.join(HERE, "reference")

# Where each family of cmdlets documents its help, in the order searched. Paths are globs inside
# the repository; the first match wins, so newer docsets come first.
REPOS = {
    "MicrosoftDocs/windows-powershell-docs": ["docset/winserver2025-ps/*/{name}.md",
                                              "docset/winserver2022-ps/*/{name}.md"],
    "MicrosoftDocs/PowerShell-Docs": ["reference/5.1/*/{name}.md", "reference/7.5/*/{name}.md"],
    "Azure/azure-powershell": ["src/*/*/help/{name}.md"],
    "microsoftgraph/msgraph-sdk-powershell": ["src/*/*/docs/{name}.md", "src/*/docs/{name}.md"],
}

# Help pages that no longer exist at the head of their repository, read at the last commit that had
# them (PowerShellGet's help moved out of PowerShell-Docs).
PINNED = {
    "Install-Module": ("MicrosoftDocs/PowerShell-Docs", "reference/5.1/PowershellGet/Install-Module.md",
                       "a6ac0167a038d1d87a2fcbce04b3b089a2889789"),
}

# Built-in aliases the KB uses (PowerShell's own alias table, about_Aliases / Get-Alias).
ALIASES = {"gwmi": "Get-WmiObject", "select": "Select-Object", "sort": "Sort-Object",
           "md": "New-Item", "where": "Where-Object", "gci": "Get-ChildItem"}


def kb_commands():
    """(id, step number, kind, shell, text) for every command of every entry."""
    for path in sorted(glob.glob(os.path.join(ROOT, "kb", "*", "*.toml"))):
        if os.sep + "codes" + os.sep in path or os.sep + "clients" + os.sep in path:
            continue
        with open(path, "rb") as f:
            entry = tomllib.load(f)
        for n, step in enumerate(entry.get("steps", []), 1):
            for kind in ("powershell", "azure_cli", "in_guest"):
                if kind in step:
                    shell = "bash" if kind == "azure_cli" else (
                        step.get("in_guest_shell", "powershell") if kind == "in_guest" else "powershell")
                    yield entry["id"], n, kind, shell, step[kind]


CMDLET = re.compile(r"(?<![\w$.-])([A-Z][a-z]+-[A-Z][A-Za-z0-9]+)(?![\w-])", re.I)
# PowerShell's approved verbs (Get-Verb) plus the verbs of Sort-Object and Where-Object; other
# Verb-Noun words are not cmdlets.
VERBS = set("""add approve assert backup block checkpoint clear close compare complete compress
confirm connect convert convertfrom convertto copy debug deny disable disconnect dismount edit
enable enter exit expand export find format get grant group hide import initialize install invoke
join limit lock measure merge mount move new open optimize out ping pop protect publish push read
receive redo register remove rename repair request reset resize resolve restart restore resume
revoke save search select send set show skip split start step stop submit suspend switch sync test
trace unblock undo uninstall unlock unprotect unpublish unregister update use wait watch where
write sort""".split())


def wanted():
    cmdlets, az = set(), set()
    for _id, _n, _kind, shell, text in kb_commands():
        for line in text.splitlines():
            if shell in ("bash", "powershell") or True:
                for m in re.finditer(r"(?:^|[;|(]|\$\()\s*az\s+([^;|)]*)", line):
                    words = []
                    for w in shlex.split(m.group(1).replace("{", "").replace("}", ""), posix=True):
                        if w.startswith("-"):
                            break
                        words.append(w)
                    if words:
                        az.add(" ".join(words))
            if shell == "powershell":
                for m in CMDLET.finditer(line):
                    if m.group(1).split("-")[0].lower() in VERBS:
                        cmdlets.add(m.group(1))
                for w in re.findall(r"(?:^|[;|(]\s*)\s*([a-z]+)\b", line, re.I):
                    if w.lower() in ALIASES:
                        cmdlets.add(ALIASES[w.lower()])
    return cmdlets, az


# ---------------------------------------------------------------- az
ARG = re.compile(r"^\s{4}(--[\w-]+)((?:\s+-{1,2}[\w-]+)*)")


def az_help(az, command):
    out = subprocess.run([az] + command.split() + ["--help"], capture_output=True, text=True)
    params = set()
    for line in out.stdout.splitlines():
        m = ARG.match(line)
        if m:
            params.add(m.group(1))
            params.update(re.findall(r"-{1,2}[\w-]+", m.group(2)))
    if out.returncode != 0 or not params:
        return None
    return sorted(params)


def harvest_az(az, commands):
    version = json.loads(subprocess.run([az, "version", "-o", "json"], capture_output=True,
                                        text=True).stdout)
    rows = []
    for c in sorted(commands):
        if c.startswith("extension"):
            pass
        params = az_help(az, c)
        if params is None:
            print(f"az {c}: --help failed (an extension command? install it first)", file=sys.stderr)
            continue
        rows.append((c, params))
    with open(os.path.join(REF, "az.toml"), "w") as f:
        f.write("# Written by scripts/check-commands/harvest.py from `az <command> --help`. Do not edit.\n")
        f.write(f'az_version = "{version["azure-cli"]}"\n')
        exts = version.get("extensions") or {}
        f.write("extensions = [" + ", ".join(f'"{k} {v}"' for k, v in sorted(exts.items())) + "]\n")
        for c, params in rows:
            f.write(f'\n[[command]]\nname = "{c}"\nparameters = [{", ".join(json.dumps(p) for p in params)}]\n')
    print(f"az: {len(rows)} commands written", file=sys.stderr)


# ---------------------------------------------------------------- cmdlets
def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir] + list(args), capture_output=True,
                          text=True, check=True).stdout


def gitdir_of(path):
    for cand in (os.path.join(path, ".git"), path):
        if os.path.exists(os.path.join(cand, "HEAD")):
            return cand
    raise SystemExit(f"{path} is not a git repository")


def clone(repo, cache):
    dest = os.path.join(cache, repo.replace("/", "+"))
    if not os.path.exists(dest):
        subprocess.run(["git", "clone", "--bare", "--filter=blob:none",
                        f"https://github.com/{repo}", dest], check=True)
    return dest


def parse_help(text):
    """Parameter names and aliases from a PlatyPS help page (### -Name + yaml block)."""
    params, aliases, force_prompts = [], {}, False
    parts = re.split(r"^### -(\w+)\s*$", text, flags=re.M)
    for i in range(1, len(parts), 2):
        name, body = parts[i], parts[i + 1]
        if name == "CommonParameters":
            continue
        params.append(name)
        m = re.search(r"^Aliases:[ \t]*(.*)$", body, re.M)
        if m and m.group(1).strip() not in ("", "None"):
            aliases[name] = [a.strip() for a in m.group(1).split(",") if a.strip()]
        if name == "Force":
            desc = body.split("```")[0].lower()
            force_prompts = bool(re.search(
                r"suppress\w* the user (confirmation )?prompt|without asking for user confirmation"
                r"|prompts you for confirmation|requires you to confirm", desc))
    return params, aliases, force_prompts


def harvest_cmdlets(names, repo_dirs):
    manual_path = os.path.join(REF, "cmdlets-manual.toml")
    manual = set()
    if os.path.exists(manual_path):
        with open(manual_path, "rb") as f:
            manual = {c["name"] for c in tomllib.load(f).get("cmdlet", [])}
    rows, missing = [], []
    trees = {}
    for repo, d in repo_dirs.items():
        commit = git(d, "rev-parse", "HEAD").strip()
        trees[repo] = (d, commit, git(d, "ls-tree", "-r", "--name-only", "HEAD").splitlines())
    for name in sorted(names):
        found = None
        if name in PINNED and PINNED[name][0] in trees:
            repo, path, commit = PINNED[name]
            found = (repo, path, commit, git(trees[repo][0], "show", f"{commit}:{path}"))
        for repo, patterns in REPOS.items():
            if found or repo not in trees:
                continue
            d, commit, files = trees[repo]
            for pat in patterns:
                rx = re.compile("^" + re.escape(pat).replace(r"\*", "[^/]+").replace(
                    re.escape("{name}"), re.escape(name)) + "$", re.I)
                hits = [p for p in files if rx.match(p)]
                if hits:
                    found = (repo, hits[0], commit, git(d, "show", f"HEAD:{hits[0]}"))
                    break
            if found:
                break
        if not found:
            if name not in manual:
                missing.append(name)
            continue
        repo, path, commit, text = found
        params, aliases, force_prompts = parse_help(text)
        title = re.search(r"^# (\S+)", text, re.M)
        rows.append((title.group(1) if title else name, repo, path, commit, params, aliases, force_prompts))
    with open(os.path.join(REF, "cmdlets.toml"), "w") as f:
        f.write("# Written by scripts/check-commands/harvest.py from the cmdlets' help Markdown. Do not edit;\n")
        f.write("# rows for help the script cannot read are in cmdlets-manual.toml.\n")
        for name, repo, path, commit, params, aliases, force_prompts in rows:
            f.write(f'\n[[cmdlet]]\nname = "{name}"\nrepo = "{repo}"\npath = "{path}"\ncommit = "{commit}"\n')
            f.write("parameters = [" + ", ".join(json.dumps(p) for p in params) + "]\n")
            if aliases:
                f.write("aliases = { " + ", ".join(f'{k} = [{", ".join(json.dumps(a) for a in v)}]'
                                                   for k, v in aliases.items()) + " }\n")
            if force_prompts:
                f.write("force_prompts = true\n")
    print(f"cmdlets: {len(rows)} written; in neither table: {', '.join(missing) or 'none'}",
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--az", help="the az executable to ask (skip az if not given)")
    ap.add_argument("--repo", action="append", default=[], help="OWNER/NAME=DIR of a local clone or mirror")
    ap.add_argument("--cache", help="clone the repositories not given with --repo into this folder")
    ap.add_argument("--list", action="store_true", help="only print the cmdlets and az commands the KB uses")
    args = ap.parse_args()
    cmdlets, az = wanted()
    if args.list:
        print("\n".join(sorted(cmdlets)))
        print("\n".join("az " + c for c in sorted(az)))
        return
    if args.az:
        harvest_az(args.az, az)
    repo_dirs = {}
    for spec in args.repo:
        repo, _, d = spec.partition("=")
        repo_dirs[repo] = gitdir_of(d)
    if args.cache:
        for repo in REPOS:
            if repo not in repo_dirs:
                repo_dirs[repo] = clone(repo, args.cache)
    if repo_dirs:
        harvest_cmdlets(cmdlets, repo_dirs)


if __name__ == "__main__":
    main()

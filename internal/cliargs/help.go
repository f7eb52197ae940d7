package cliargs

// Examples for each command's --help (kong's HelpProvider). Indented lines
// are shown as they are.

// GlobalGroup is the help group of the flags every command takes; they are
// listed after a command's own flags.
const GlobalGroup = "global"

func (GetCmd) Help() string {
	return `Examples:

    TOKEN=$(fourinsight-token -s ws0)
    fourinsight-token -s ws0 -o header
    fourinsight-token -s ws0 -o dotenv --output-file .env`
}

func (LoginCmd) Help() string {
	return `Examples:

    fourinsight-token login -s ws0
    fourinsight-token login --issuer https://idp.example.com --client-id my-cli
    fourinsight-token login -s ws0 --signin-url https://staging.4insight.io/auth`
}

func (LogoutCmd) Help() string {
	return `Examples:

    fourinsight-token logout -s ws0
    fourinsight-token logout --all`
}

func (StatusCmd) Help() string {
	return `Examples:

    fourinsight-token status
    fourinsight-token status -s ws0 --json`
}

func (ExecCmd) Help() string {
	return `Examples:

    fourinsight-token -s ws0 exec -- python3 sync.py
    fourinsight-token exec --env API_TOKEN -- ./deploy.sh --prod`
}

func (GitCredentialCmd) Help() string {
	return `git runs it; set it up with:

    fourinsight-token setup git --host git.example.com -s ws0 --global`
}

func (SetupKubectlCmd) Help() string {
	return `Examples:

    fourinsight-token setup kubectl -s ws0 --write
    kubectl config set-context --current --user=fourinsight-ws0`
}

func (SetupGitCmd) Help() string {
	return `Example:

    fourinsight-token setup git --host git.example.com -s ws0 --global`
}

func (CompletionCmd) Help() string {
	return `For this shell only:

    source <(fourinsight-token completion bash)    # or zsh
    fourinsight-token completion fish | source

For good, in every new shell:

    # bash (with the bash-completion package)
    mkdir -p ~/.local/share/bash-completion/completions
    fourinsight-token completion bash > ~/.local/share/bash-completion/completions/fourinsight-token
    # zsh: the script uses zsh's bashcompinit, so source it from ~/.zshrc
    echo 'source <(fourinsight-token completion zsh)' >> ~/.zshrc
    # fish
    fourinsight-token completion fish > ~/.config/fish/completions/fourinsight-token.fish

Open a new shell afterwards.`
}

func (APICmd) Help() string {
	return `Examples:

    fourinsight-token -s ws0 api /v1.1/Campaigns
    fourinsight-token -s ws0 api --paginate --jsonl /v1.1/Campaigns > campaigns.jsonl
    fourinsight-token -s ws0 api POST /v1.1/Campaigns --data @campaign.json
    fourinsight-token -s ws0 api -i DELETE /v1.1/Campaigns/c1

Exit 6 when the API answers with an error status (its body is on stdout).`
}

func (ProxyCmd) Help() string {
	return `Example:

    fourinsight-token -s ws0 proxy --listen 127.0.0.1:8400
    curl http://127.0.0.1:8400/v1.1/Campaigns       # no token needed: the proxy adds it

Only your own user's programs can use it: loopback only, other users' connections
(Linux), foreign Host headers and web pages (Origin) are refused.`
}

# bash completion for silvernode, silver-review, silver-stats and silver-audit.
# Installed as share/bash-completion/completions/<program> (one copy per name).
# The command names come from the programs themselves (the hidden option
# --commands prints their command table), the collections from the help.

_silversync_words()
{
	# _silversync_words PROGRAM OPTION: the program's output in the C
	# locale, cached per program and option for this shell.
	local key=${1##*/}_${2//-/_}
	key=_silversync_cache_${key//[^A-Za-z0-9_]/_}
	if [[ -z ${!key+set} ]]; then
		printf -v "$key" '%s' "$(LC_ALL=C LANGUAGE= "$1" "$2" 2>/dev/null)"
	fi
	printf '%s\n' "${!key}"
}

_silversync_commands()
{
	local prog=$1 name=${1##*/} cur=$2 prev=$3 cmd="" i w
	# The first word that is neither an option nor an option's value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--dir) ((i++)) ;;
		-*) ;;
		*) cmd=$w; break ;;
		esac
	done
	case $prev in
	--dir | --from | --store)
		if [[ $prev == --from && $name == silver-review ]]; then
			_filedir csv
		else
			_filedir -d
		fi
		return
		;;
	esac
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--dir --json --help --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_silversync_words "$prog" --commands)" -- "$cur"))
		fi
		return
	fi
	case $name:$cmd in
	silvernode:add | silvernode:list | silvernode:import)
		if [[ $i -eq $((COMP_CWORD - 1)) ]]; then
			COMPREPLY=($(compgen -W "$(_silversync_words "$prog" --help | sed -n 's/^Collections: //p')" -- "$cur"))
			return
		fi
		;;
	esac
	if [[ $cur == -* ]]; then
		local opts
		opts=$(LC_ALL=C LANGUAGE= "$prog" "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
		COMPREPLY=($(compgen -W "$opts --json" -- "$cur"))
		return
	fi
	_filedir
}

_silvernode()
{
	local cur prev words cword
	_init_completion || return
	_silversync_commands "$1" "$cur" "$prev"
}

_silver_stats()
{
	local cur prev words cword
	_init_completion || return
	case $prev in
	--dir) _filedir -d; return ;;
	--out) _filedir; return ;;
	--format) COMPREPLY=($(compgen -W 'table csv json html' -- "$cur")); return ;;
	--township | --from | --to) return ;;
	esac
	COMPREPLY=($(compgen -W '--dir --township --from --to --format --out --help --version' -- "$cur"))
}

_silver_audit()
{
	local cur prev words cword
	_init_completion || return
	case $prev in
	--store) _filedir -d; return ;;
	--admin | --threads | trace) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--admin --store --json --threads --no-replay --help --version' -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W 'trace proof' -- "$cur"))
	_filedir
}

complete -F _silvernode silvernode silver-review
complete -F _silver_stats silver-stats
complete -F _silver_audit silver-audit

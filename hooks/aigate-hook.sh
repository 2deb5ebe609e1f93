#!/bin/sh
# aigate-managed hook (@HOOK@). Written by `aigate install`; `aigate uninstall` restores what
# was here before. It runs the hook that was here first (if any), then aigate.
hook=@HOOK@
aigate=@AIGATE@
# The hook's directory without running dirname (a process per hook, ~1 ms on every commit).
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
has_input=
case $hook in
pre-push|pre-receive|post-receive) input=$(cat); has_input=1 ;;
esac
chained="$here/$hook.aigate-chained"
if [ -x "$chained" ] && [ "$hook" = post-receive ]; then
    # After the update: what runs before cannot stop the decision record.
    printf '%s\n' "$input" | "$chained" "$@"
elif [ -x "$chained" ]; then
    if [ -n "$has_input" ]; then
        printf '%s\n' "$input" | "$chained" "$@" || exit $?
    else
        "$chained" "$@" || exit $?
    fi
fi
if [ ! -x "$aigate" ]; then
    aigate=$(command -v aigate 2>/dev/null) || aigate=
fi
if [ -z "$aigate" ]; then
    case $hook in
    pre-receive|update)
        echo "aigate: the aigate binary is missing on this server (@AIGATE@)." >&2
        echo "aigate: push refused: the guard never accepts what it could not check. Ask the server admins." >&2
        exit 1 ;;
    post-receive)
        echo "aigate: WARNING: the aigate binary is missing (@AIGATE@): the decision record was NOT written." >&2
        exit 0 ;;
    pre-push)
        echo "aigate: ERROR: the aigate binary is missing (@AIGATE@): this push was NOT checked, so it is refused." >&2
        echo "aigate: reinstall with ./install.sh, or remove the hooks with 'aigate uninstall'." >&2
        exit 1 ;;
    *)
        echo "aigate: WARNING: the aigate binary is missing (@AIGATE@): this commit was NOT checked." >&2
        echo "aigate: reinstall with ./install.sh; the server will still check your push." >&2
        exit 0 ;;
    esac
fi
if [ -n "$has_input" ]; then
    printf '%s\n' "$input" | "$aigate" hook "$hook" "$@"
else
    exec "$aigate" hook "$hook" "$@"
fi

#include "client/proto/wire_constants.h"

namespace zk {

std::string_view ErrName(Err err) {
  switch (err) {
    case Err::kOk:
      return "OK";
    case Err::kSystemError:
      return "SYSTEMERROR";
    case Err::kRuntimeInconsistency:
      return "RUNTIMEINCONSISTENCY";
    case Err::kDataInconsistency:
      return "DATAINCONSISTENCY";
    case Err::kConnectionLoss:
      return "CONNECTIONLOSS";
    case Err::kMarshallingError:
      return "MARSHALLINGERROR";
    case Err::kUnimplemented:
      return "UNIMPLEMENTED";
    case Err::kOperationTimeout:
      return "OPERATIONTIMEOUT";
    case Err::kBadArguments:
      return "BADARGUMENTS";
    case Err::kInvalidState:
      return "INVALIDSTATE";
    case Err::kUnknownSession:
      return "UNKNOWNSESSION";
    case Err::kNewConfigNoQuorum:
      return "NEWCONFIGNOQUORUM";
    case Err::kReconfigInProgress:
      return "RECONFIGINPROGRESS";
    case Err::kApiError:
      return "APIERROR";
    case Err::kNoNode:
      return "NONODE";
    case Err::kNoAuth:
      return "NOAUTH";
    case Err::kBadVersion:
      return "BADVERSION";
    case Err::kNoChildrenForEphemerals:
      return "NOCHILDRENFOREPHEMERALS";
    case Err::kNodeExists:
      return "NODEEXISTS";
    case Err::kNotEmpty:
      return "NOTEMPTY";
    case Err::kSessionExpired:
      return "SESSIONEXPIRED";
    case Err::kInvalidCallback:
      return "INVALIDCALLBACK";
    case Err::kInvalidAcl:
      return "INVALIDACL";
    case Err::kAuthFailed:
      return "AUTHFAILED";
    case Err::kClosing:
      return "CLOSING";
    case Err::kNothing:
      return "NOTHING";
    case Err::kSessionMoved:
      return "SESSIONMOVED";
    case Err::kNotReadOnly:
      return "NOTREADONLY";
    case Err::kEphemeralOnLocalSession:
      return "EPHEMERALONLOCALSESSION";
    case Err::kNoWatcher:
      return "NOWATCHER";
    case Err::kRequestTimeout:
      return "REQUESTTIMEOUT";
    case Err::kReconfigDisabled:
      return "RECONFIGDISABLED";
    case Err::kSessionClosedRequireSaslAuth:
      return "SESSIONCLOSEDREQUIRESASLAUTH";
    case Err::kQuotaExceeded:
      return "QUOTAEXCEEDED";
    case Err::kThrottledOp:
      return "THROTTLEDOP";
  }
  return "UNKNOWN";
}

}  // namespace zk

import { read, write, type CursorPage, type TransferCustomerResponse, type WeComCaller } from '../types';
import { followCursor } from './paging';

/** On-job (在职) and resigned (离职) customer transfers (API-NOTES §4.7, §4.8). */
const TRANSFER_CUSTOMER = write('externalcontact/transfer_customer');
const TRANSFER_RESULT = read('POST', 'externalcontact/transfer_result');
const RESIGNED_TRANSFER_CUSTOMER = write('externalcontact/resigned/transfer_customer');
const RESIGNED_TRANSFER_RESULT = read('POST', 'externalcontact/resigned/transfer_result');
const GET_UNASSIGNED_LIST = read('POST', 'externalcontact/get_unassigned_list');

export const TRANSFER_CUSTOMERS_MAX = 100;
export const UNASSIGNED_PAGE_MAX = 1000;

export interface TransferCustomerRequest {
  handover_userid: string;
  takeover_userid: string;
  /** ≤100 customers of the handover employee. */
  external_userid: string[];
  /** On-job only: ≤200 chars shown to the customer. */
  transfer_success_msg?: string;
}

export interface TransferStatus {
  external_userid: string;
  /** 1 taken over, 2 waiting, 3 customer refused, 4 takeover at its customer cap, 5 no record (on-job only). */
  status: number;
  /** Scheduled (status 2) or actual (1) takeover time; 0 when refused. */
  takeover_time: number;
}

export interface TransferResultRequest {
  handover_userid: string;
  takeover_userid: string;
  cursor?: string;
}

export interface UnassignedCustomer {
  handover_userid: string;
  external_userid: string;
  /** When the handover employee left (WeCom's spelling). */
  dimission_time: number;
}

export interface UnassignedPage extends CursorPage<UnassignedCustomer> {
  isLast: boolean;
}

export function transfersApi(c: WeComCaller) {
  async function start(endpoint: typeof TRANSFER_CUSTOMER, req: TransferCustomerRequest): Promise<TransferCustomerResponse> {
    if (req.external_userid.length === 0 || req.external_userid.length > TRANSFER_CUSTOMERS_MAX) {
      throw new RangeError(`${endpoint.path} takes 1–${TRANSFER_CUSTOMERS_MAX} customers, got ${req.external_userid.length}`);
    }
    const res = await c.call<Partial<TransferCustomerResponse>>(endpoint, req);
    return { customer: res.customer ?? [] };
  }

  async function result(endpoint: typeof TRANSFER_RESULT, req: TransferResultRequest): Promise<CursorPage<TransferStatus>> {
    const res = await c.call<{ customer?: TransferStatus[]; next_cursor?: string }>(endpoint, { ...req, cursor: req.cursor ?? '' });
    return { items: res.customer ?? [], nextCursor: res.next_cursor ?? '' };
  }

  /** One page of customers of departed employees awaiting assignment (page_size ≤1000). */
  async function listUnassigned(req: { cursor?: string; page_size?: number } = {}): Promise<UnassignedPage> {
    const pageSize = Math.min(Math.max(req.page_size ?? UNASSIGNED_PAGE_MAX, 1), UNASSIGNED_PAGE_MAX);
    const res = await c.call<{ info?: UnassignedCustomer[]; is_last?: boolean; next_cursor?: string }>(GET_UNASSIGNED_LIST, {
      cursor: req.cursor ?? '',
      page_size: pageSize,
    });
    const nextCursor = res.is_last ? '' : (res.next_cursor ?? '');
    return { items: res.info ?? [], nextCursor, isLast: nextCursor === '' };
  }

  return {
    /** Starts on-job transfers; per-customer errcode 0 = the 24 h process started, not success. */
    transferCustomer: (req: TransferCustomerRequest) => start(TRANSFER_CUSTOMER, req),
    /** One page (≤1000) of on-job transfer statuses for a handover → takeover pair. */
    transferResult: (req: TransferResultRequest) => result(TRANSFER_RESULT, req),

    /** Starts resigned transfers (no success message; 40097 if the handover has not left). */
    transferResignedCustomer: (req: Omit<TransferCustomerRequest, 'transfer_success_msg'>) => start(RESIGNED_TRANSFER_CUSTOMER, req),
    resignedTransferResult: (req: TransferResultRequest) => result(RESIGNED_TRANSFER_RESULT, req),

    listUnassigned,

    /** Every page of get_unassigned_list. */
    iterateUnassigned: (pageSize = UNASSIGNED_PAGE_MAX): AsyncGenerator<UnassignedPage> =>
      followCursor((cursor) => listUnassigned({ cursor, page_size: pageSize })),
  };
}

export type TransfersApi = ReturnType<typeof transfersApi>;

/**
 * The JSON body 360dialog expects for a template send, on either route. Built from an
 * `OutboundMessage` (src/shared/outbound-message.ts) by build-payload.ts.
 */
import type { TemplateComponent } from '../shared/outbound-message.ts';

/** The JSON body of a template send; lite-only fields are absent on the cloud route. */
export type MessagePayload = {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
  type: 'template';
  template: {
    name: string;
    language: { policy: 'deterministic'; code: string };
    components?: TemplateComponent[];
  };
  message_send_ttl_seconds?: number;
  message_activity_sharing?: boolean;
  product_policy?: 'CLOUD_API_FALLBACK' | 'STRICT';
  biz_opaque_callback_data?: string;
};
